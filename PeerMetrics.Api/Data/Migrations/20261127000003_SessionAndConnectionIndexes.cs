using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace PeerMetrics.Api.Data.Migrations;

/// <summary>Indexes the connections and sessions summaries rely on.</summary>
[DbContext(typeof(PeerMetricsDbContext))]
[Migration("20261127000003_SessionAndConnectionIndexes")]
public sealed class SessionAndConnectionIndexes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql(SqlScript.Read("SessionAndConnectionIndexes.sql"));
}
