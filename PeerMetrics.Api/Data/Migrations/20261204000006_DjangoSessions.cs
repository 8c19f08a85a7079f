using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace PeerMetrics.Api.Data.Migrations;

/// <summary>Django's <c>django_session</c> table, which the web dashboard's session cookie names a row of.</summary>
[DbContext(typeof(PeerMetricsDbContext))]
[Migration("20261204000006_DjangoSessions")]
public sealed class DjangoSessions : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql(SqlScript.Read("DjangoSessions.sql"));
}
