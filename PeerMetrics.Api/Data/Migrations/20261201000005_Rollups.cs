using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using PeerMetrics.Api.Rollups;

namespace PeerMetrics.Api.Data.Migrations;

/// <summary>
/// Installs the rollups on a database this service migrates (on a Django-owned one the operator runs
/// <c>rollups install</c>). The maintainer backfills existing rows after start-up. Every lock the script waits
/// for is bounded by <see cref="LockTimeout"/> (the default of <c>Rollups:LockTimeout</c>): a migration that finds
/// the peermetrics tables busy fails ("lock timeout") instead of making their writers queue behind it, and is
/// run again by the next start or <c>dotnet ef database update</c>. The script counts no rows.
/// </summary>
[DbContext(typeof(PeerMetricsDbContext))]
[Migration("20261201000005_Rollups")]
public sealed class RollupsInstall : Migration
{
    public const string LockTimeout = "2s";

    protected override void Up(MigrationBuilder migrationBuilder) =>
        // SET LOCAL: the migration's own transaction only; set back for any migration after it in that transaction.
        migrationBuilder.Sql($"SET LOCAL lock_timeout = '{LockTimeout}';\n{RollupsSql.Install}\nSET LOCAL lock_timeout TO DEFAULT;");
}
