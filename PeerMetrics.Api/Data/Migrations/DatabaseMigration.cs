using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using PeerMetrics.Api.Rollups;

namespace PeerMetrics.Api.Data.Migrations;

// Beside the migrations, not in Data: it upgrades the rollups, which read Data, as migration 0005 installs them.
internal static class DatabaseMigration
{
    /// <summary>
    /// Applies this service's pending migrations. Npgsql's EF provider finds out whether the history table exists
    /// by selecting from it and taking "relation does not exist" for "nothing applied yet" (npgsql/efcore.pg#3407),
    /// but EF has already logged that SELECT at Error as a failed command: every first start on an empty database
    /// showed an error. Creating the table first, with EF's own idempotent script, lets the probe succeed.
    /// Migration 0005 installs the rollups; rollups installed by an earlier build are then upgraded to this
    /// build's (raw rows serve while they backfill again). Rollups of a later build are left as they are (a
    /// rolling deploy or a rollback), and so are older ones when the peermetrics tables stay busy through every
    /// attempt (logged; the next start or <c>rollups install</c> upgrades them).
    /// </summary>
    public static async Task ApplyMigrationsAsync(this PeerMetricsDbContext db, CancellationToken cancellationToken,
        RollupsLocking? locking = null, ILogger? logger = null)
    {
        var history = db.GetService<IHistoryRepository>();
        await db.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            if (await RollupsDatabase.StatusAsync(connection, cancellationToken) is { Fit: RollupsVersionFit.Older })
            {
                var result = await RollupsDatabase.InstallAsync(connection, locking ?? RollupsLocking.Default,
                    message => logger?.LogInformation("Rollups: {Message}", message), cancellationToken);
                logger?.LogInformation("Rollups: {Result} (version {Version})", result, RollupsSql.Version);
            }
        }
        catch (RollupsBusyException e)
        {
            logger?.LogWarning(e, "Rollups: not upgraded at start-up; raw rows serve until the next start or `rollups install`");
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
