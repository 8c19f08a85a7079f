using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using PeerMetrics.Api.Rollups;

namespace PeerMetrics.Api.Data;

internal static class DatabaseMigration
{
    /// <summary>
    /// Applies this service's pending migrations. Npgsql's EF provider finds out whether the history table exists
    /// by selecting from it and taking "relation does not exist" for "nothing applied yet" (npgsql/efcore.pg#3407),
    /// but EF has already logged that SELECT at Error as a failed command: every first start on an empty database
    /// showed an error. Creating the table first, with EF's own idempotent script, lets the probe succeed.
    /// Migration 0005 installs the rollups; rollups installed by an earlier build are then replaced by this build's
    /// (raw rows serve while they backfill again).
    /// </summary>
    public static async Task ApplyMigrationsAsync(this PeerMetricsDbContext db, CancellationToken cancellationToken)
    {
        var history = db.GetService<IHistoryRepository>();
        await db.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            if (await RollupsDatabase.StatusAsync(connection, cancellationToken) is { } status && status.Version != RollupsSql.Version)
            {
                await RollupsDatabase.InstallAsync(connection, null, cancellationToken);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
