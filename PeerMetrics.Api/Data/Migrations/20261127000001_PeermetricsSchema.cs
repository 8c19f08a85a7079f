using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace PeerMetrics.Api.Data.Migrations;

/// <summary>Creates the peermetrics tables as the peermetrics API's Django migrations do (docs/schema.md).</summary>
[DbContext(typeof(PeerMetricsDbContext))]
[Migration("20261127000001_PeermetricsSchema")]
public sealed class PeermetricsSchema : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql(SqlScript.Read("PeermetricsSchema.sql"));
}
