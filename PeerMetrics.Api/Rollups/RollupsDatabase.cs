using Npgsql;

namespace PeerMetrics.Api.Rollups;

/// <summary>What <c>peermetrics_rollups.status()</c> reports.</summary>
public sealed record RollupsStatus(
    int Version, string Phase, bool Ready, long Backlog, double LagSeconds, long BackfillDone, long BackfillTotal, DateTime? AppliedAt)
{
    /// <summary>What keeps the rollups from serving until the schema changes (drift, a trigger missing); null when nothing.</summary>
    public string? Problem { get; init; }

    /// <summary>Why the rollups are being (or about to be) rebuilt; null when they are not.</summary>
    public string? RebuildReason { get; init; }

    /// <summary>About how many rows the change log holds (counting writes still in flight).</summary>
    public long LogRows { get; init; }

    /// <summary>The cap of the change log in rows (<see cref="RollupsOptions.MaxLogRows"/> as stored).</summary>
    public long LogCap { get; init; }

    /// <summary>Seconds since a maintainer run last applied the log (or since the install), as read.</summary>
    public double UnappliedSeconds { get; init; }
}

/// <summary>What one maintainer run did.</summary>
public sealed record RollupsRun(bool Locked, long Consumed, long Backfilled, string Phase);

/// <summary>
/// Install, uninstall, status and one maintainer run, over a plain Npgsql connection (the command, the
/// maintainer and the tests share them).
/// </summary>
public static class RollupsDatabase
{
    private const string LockNotAvailable = "55P03";

    /// <summary>True when the rollups schema is installed.</summary>
    public static async Task<bool> IsInstalledAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT to_regprocedure('{RollupsSql.Schema}.status()') IS NOT NULL", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Creates the schema, its tables and functions and the triggers, in one transaction; the backfill then
    /// runs through <see cref="ApplyAsync"/>. Creating a trigger needs a lock that waits for the tables' running
    /// writes and makes new ones queue behind it: the script takes all of them first, under a lock timeout far
    /// below the deadlock timeout, and gives up and retries when they are busy, so writers wait a moment at
    /// most and never deadlock with it. Over another version, uninstalls first.
    /// </summary>
    public static async Task InstallAsync(NpgsqlConnection connection, Action<string>? progress, CancellationToken cancellationToken)
    {
        if (await StatusAsync(connection, cancellationToken) is { } status && status.Version != RollupsSql.Version)
        {
            progress?.Invoke($"installed version {status.Version} differs from {RollupsSql.Version}: reinstalling");
            await UninstallAsync(connection, cancellationToken);
        }
        await WithTableLocksAsync(connection, RollupsSql.Install, "install", progress, cancellationToken);
    }

    /// <summary>Drops the triggers and the schema: the peermetrics tables are as before the install.</summary>
    public static Task UninstallAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        WithTableLocksAsync(connection, RollupsSql.Uninstall, "uninstall", null, cancellationToken);

    private static async Task WithTableLocksAsync(NpgsqlConnection connection, string script, string what, Action<string>? progress,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            try
            {
                await ExecuteAsync(connection, transaction, "SET LOCAL lock_timeout = '100ms'", cancellationToken);
                await ExecuteAsync(connection, transaction, script, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return;
            }
            catch (PostgresException e) when (e.SqlState is LockNotAvailable or PostgresErrorCodes.DeadlockDetected && attempt < 600)
            {
                await transaction.RollbackAsync(cancellationToken);
                if (attempt % 10 == 1)
                {
                    progress?.Invoke($"tables busy, retrying the {what} (attempt {attempt})");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 200)), cancellationToken);
            }
        }
    }

    /// <summary>The status, or null when the rollups are not installed.</summary>
    public static async Task<RollupsStatus?> StatusAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (!await IsInstalledAsync(connection, cancellationToken))
        {
            return null;
        }
        await using var command = new NpgsqlCommand(
            $"SELECT version, phase, ready, backlog, lag_seconds, backfill_done, backfill_total, applied_at, problem, rebuild_reason, log_rows, log_cap, unapplied_seconds FROM {RollupsSql.Schema}.status()",
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new RollupsStatus(reader.GetInt32(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt64(3), reader.GetDouble(4),
            reader.GetInt64(5), reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetDateTime(7))
        {
            Problem = reader.IsDBNull(8) ? null : reader.GetString(8),
            RebuildReason = reader.IsDBNull(9) ? null : reader.GetString(9),
            LogRows = reader.GetInt64(10),
            LogCap = reader.GetInt64(11),
            UnappliedSeconds = reader.GetDouble(12),
        };
    }

    /// <summary>
    /// Stores the change log's cap in the rollups' state, where the triggers enforce it; a no-op (no lock) when
    /// it is already that.
    /// </summary>
    public static async Task SetLogCapAsync(NpgsqlConnection connection, long maxLogRows, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"UPDATE {RollupsSql.Schema}.state SET log_cap = @cap WHERE log_cap <> @cap", connection);
        command.Parameters.AddWithValue("cap", maxLogRows);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// One maintainer run, in its own REPEATABLE READ transaction. A run whose snapshot predates another
    /// run's commit fails its serialization check before doing anything: reported as not locked.
    /// </summary>
    public static async Task<RollupsRun> ApplyAsync(NpgsqlConnection connection, int maxEntries, int backfillBatch,
        TimeSpan resetDelay, CancellationToken cancellationToken)
    {
        try
        {
            return await ApplyOnceAsync(connection, maxEntries, backfillBatch, resetDelay, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.SerializationFailure)
        {
            return new RollupsRun(false, 0, 0, "");
        }
    }

    private static async Task<RollupsRun> ApplyOnceAsync(NpgsqlConnection connection, int maxEntries, int backfillBatch,
        TimeSpan resetDelay, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using var command = new NpgsqlCommand(
            $"SELECT locked, consumed, backfilled, phase FROM {RollupsSql.Schema}.apply(@max_entries, @batch, @reset_delay)", connection, transaction)
        {
            CommandTimeout = 0,
        };
        command.Parameters.AddWithValue("max_entries", maxEntries);
        command.Parameters.AddWithValue("batch", backfillBatch);
        command.Parameters.AddWithValue("reset_delay", resetDelay);
        RollupsRun run;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            run = new RollupsRun(reader.GetBoolean(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3));
        }
        await transaction.CommitAsync(cancellationToken);
        return run;
    }

    /// <summary>
    /// Runs the maintainer until the backfill is done and the log is drained, reporting progress. A pending
    /// reset is carried out after <paramref name="resetDelay"/> (zero when no Api serves from the rollups).
    /// </summary>
    public static async Task CatchUpAsync(NpgsqlConnection connection, int backfillBatch, TimeSpan resetDelay, Action<string>? progress,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var run = await ApplyAsync(connection, 100_000, backfillBatch, resetDelay, cancellationToken);
            var status = await StatusAsync(connection, cancellationToken)
                ?? throw new InvalidOperationException("the rollups were uninstalled meanwhile");
            if (run.Backfilled > 0)
            {
                progress?.Invoke($"backfill: {status.BackfillDone}/{status.BackfillTotal} conferences");
            }
            // Under a steady write load the log never stays empty: caught up means nothing older than a second.
            if (status.Ready && (status.Backlog == 0 || status.LagSeconds < 1))
            {
                await VacuumLogAsync(connection, cancellationToken);
                return;
            }
            if (!run.Locked || run is { Phase: "backfilling", Backfilled: 0 })
            {
                // Another maintainer (a running Api) holds the lock, or a reset waits for its delay.
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Vacuums the change log (outside any transaction), so its heap shrinks back after a bulk load was applied.
    /// VACUUM only truncates the file when it gets the table's lock at once: writers are never held up.
    /// </summary>
    public static async Task VacuumLogAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"VACUUM {RollupsSql.Schema}.change_log", connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
