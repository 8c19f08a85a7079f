using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using PeerMetrics.Api.Rollups;

namespace PeerMetrics.Api.Data.Migrations;

/// <summary>
/// Installs the rollups on a database this service migrates (on a Django-owned one the operator runs
/// <c>rollups install</c>). The maintainer backfills existing rows after start-up.
/// </summary>
[DbContext(typeof(PeerMetricsDbContext))]
[Migration("20261201000005_Rollups")]
public sealed class RollupsInstall : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(RollupsSql.Install);
}
