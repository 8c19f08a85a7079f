using Npgsql;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// What <c>peermetrics_rollups.status()</c> reports, with the install's <see cref="MinReaderVersion"/> (its own
/// version when it records none).
/// </summary>
public sealed record RollupsStatus(
    int Version, string Phase, bool Ready, long Backlog, double LagSeconds, long BackfillDone, long BackfillTotal, DateTime? AppliedAt,
    int MinReaderVersion)
{
    /// <summary>How this install's version relates to this build's.</summary>
    public RollupsVersionFit Fit => RollupsSql.Fit(Version, MinReaderVersion);

    /// <summary>True when this build's rollup SQL reads this install exactly.</summary>
    public bool Readable => Fit is RollupsVersionFit.Same or RollupsVersionFit.NewerReadable;

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

/// <summary>What <see cref="RollupsDatabase.InstallAsync(NpgsqlConnection, RollupsLocking, Action{string}, CancellationToken)"/> did.</summary>
public enum RollupsInstallResult
{
    /// <summary>Installed where nothing was, or re-run over this version (a backfill resumes).</summary>
    Installed,

    /// <summary>An older version was uninstalled and this one installed.</summary>
    Upgraded,

    /// <summary>A newer version is installed: left exactly as it is.</summary>
    NewerLeftAlone,
}

/// <summary>
/// How install and uninstall take the peermetrics tables' locks: each attempt waits at most
/// <see cref="LockTimeout"/> for them and holds them at most about as long; a busy attempt is rolled back and
/// retried <see cref="Retries"/> times with a growing pause (<c>Rollups:LockTimeout</c>, <c>Rollups:LockRetries</c>).
/// </summary>
public sealed record RollupsLocking(TimeSpan LockTimeout, int Retries)
{
    public static readonly RollupsLocking Default = new(TimeSpan.FromSeconds(2), 10);

    public static RollupsLocking From(RollupsOptions options) => new(options.LockTimeout, options.LockRetries);
}

/// <summary>The peermetrics tables stayed busy through every attempt: nothing was changed by the last one.</summary>
public sealed class RollupsBusyException(string message, Exception inner) : InvalidOperationException(message, inner);

/// <summary>
/// Install, uninstall, status and one maintainer run, over a plain Npgsql connection (the command, the
/// maintainer and the tests share them).
/// </summary>
public static class RollupsDatabase
{
    private const string LockNotAvailable = "55P03";
    private const string QueryCanceled = "57014";

    // Serializes installers and uninstallers (commands, Apis starting), so two of them never decide on the same
    // stale version: two new Apis over an old install upgrade it once.
    private const string InstallerLock = "hashtext('peermetrics_rollups.install')";

    /// <summary>True when the rollups schema is installed.</summary>
    public static async Task<bool> IsInstalledAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT to_regprocedure('{RollupsSql.Schema}.status()') IS NOT NULL", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Installs with <see cref="RollupsLocking.Default"/>.</summary>
    public static Task<RollupsInstallResult> InstallAsync(NpgsqlConnection connection, Action<string>? progress, CancellationToken cancellationToken) =>
        InstallAsync(connection, RollupsLocking.Default, progress, cancellationToken);

    /// <summary>
    /// Creates the schema, its tables and functions (one transaction that takes no lock a writer waits for), then
    /// the triggers (a second, short one); the backfill then runs through <see cref="ApplyAsync"/>. Creating a
    /// trigger needs a lock that waits for the tables' running writes and makes new ones queue behind it: the
    /// second transaction takes all six first, waits for them and holds them at most
    /// <see cref="RollupsLocking.LockTimeout"/>, and is retried when they are busy, so writers wait that long at
    /// most and never deadlock with it. Over an older version, uninstalls it first (an upgrade); over a newer
    /// one, does nothing at all: an older build never downgrades an install.
    /// </summary>
    public static async Task<RollupsInstallResult> InstallAsync(NpgsqlConnection connection, RollupsLocking locking, Action<string>? progress,
        CancellationToken cancellationToken)
    {
        await using var installer = await InstallerLockAsync(connection, cancellationToken);
        var result = RollupsInstallResult.Installed;
        switch (await StatusAsync(connection, cancellationToken))
        {
            case { Fit: RollupsVersionFit.NewerReadable or RollupsVersionFit.NewerUnreadable } newer:
                progress?.Invoke($"installed version {newer.Version} is newer than this build's {RollupsSql.Version}: left as it is");
                return RollupsInstallResult.NewerLeftAlone;
            case { Fit: RollupsVersionFit.Older } older:
                progress?.Invoke($"installed version {older.Version} is older than this build's {RollupsSql.Version}: upgrading");
                await UninstallLockedAsync(connection, locking, progress, cancellationToken);
                result = RollupsInstallResult.Upgraded;
                break;
        }
        var (objects, triggers) = RollupsSql.InstallParts();
        // The schema's part reads no peermetrics table and locks none: only its waits are bounded (a statement
        // timeout there would only make a slow machine give up).
        await WithTimeoutsAsync(connection, locking, holds: false, "install (schema)", progress, cancellationToken, objects);
        await WithTimeoutsAsync(connection, locking, holds: true, "install (triggers)", progress, cancellationToken, triggers);
        await CountBackfillAsync(connection, locking, cancellationToken);
        return result;
    }

    /// <summary>Uninstalls with <see cref="RollupsLocking.Default"/>.</summary>
    public static Task UninstallAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        UninstallAsync(connection, RollupsLocking.Default, null, cancellationToken);

    /// <summary>
    /// Drops the triggers (a short transaction that takes the tables' ACCESS EXCLUSIVE locks, waiting for and
    /// holding them at most <see cref="RollupsLocking.LockTimeout"/>, retried when busy), then the schema: the
    /// peermetrics tables are as before the install.
    /// </summary>
    public static async Task UninstallAsync(NpgsqlConnection connection, RollupsLocking locking, Action<string>? progress,
        CancellationToken cancellationToken)
    {
        await using var installer = await InstallerLockAsync(connection, cancellationToken);
        await UninstallLockedAsync(connection, locking, progress, cancellationToken);
    }

    private static async Task UninstallLockedAsync(NpgsqlConnection connection, RollupsLocking locking, Action<string>? progress,
        CancellationToken cancellationToken)
    {
        var (triggers, objects) = RollupsSql.UninstallParts();
        await WithTimeoutsAsync(connection, locking, holds: true, "uninstall (triggers)", progress, cancellationToken, triggers);
        await WithTimeoutsAsync(connection, locking, holds: false, "uninstall (schema)", progress, cancellationToken, objects);
    }

    /// <summary>
    /// The backfill's exact total, counted after the install committed, in a transaction of its own that holds
    /// no lock but the count's own and gives up (keeping the install's estimate) after the lock timeout.
    /// </summary>
    private static async Task CountBackfillAsync(NpgsqlConnection connection, RollupsLocking locking, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await ExecuteAsync(connection, transaction, Timeouts(locking.LockTimeout, locking.LockTimeout), cancellationToken);
            await ExecuteAsync(connection, transaction,
                $"UPDATE {RollupsSql.Schema}.state SET backfill_total = (SELECT count(*) FROM public.conference) " +
                "WHERE phase = 'backfilling' AND backfill_done = 0", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is LockNotAvailable or QueryCanceled && !cancellationToken.IsCancellationRequested)
        {
            await transaction.RollbackAsync(cancellationToken);
        }
    }

    private static string Timeouts(TimeSpan lockTimeout, TimeSpan statementTimeout) =>
        $"SET LOCAL lock_timeout = {Milliseconds(lockTimeout)}; SET LOCAL statement_timeout = {Milliseconds(statementTimeout)}";

    // Zero (no statement timeout) stays zero; any other span is at least a millisecond.
    private static string Milliseconds(TimeSpan span) =>
        (span <= TimeSpan.Zero ? 0L : Math.Max(1L, (long)Math.Ceiling(span.TotalMilliseconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Runs <paramref name="script"/> in one transaction whose every lock wait is bounded by the lock timeout and,
    /// when it <paramref name="holds"/> peermetrics tables' locks, every statement too (so every lock it holds,
    /// the script taking them in its first statement and finishing in its next); a busy attempt (lock or statement timeout, deadlock) is
    /// rolled back and retried after a pause that doubles (100 ms up to 5 s, with jitter), at most
    /// <see cref="RollupsLocking.Retries"/> times, then <see cref="RollupsBusyException"/>.
    /// </summary>
    private static async Task WithTimeoutsAsync(NpgsqlConnection connection, RollupsLocking locking, bool holds, string what, Action<string>? progress,
        CancellationToken cancellationToken, string script)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            try
            {
                await ExecuteAsync(connection, transaction, Timeouts(locking.LockTimeout, holds ? locking.LockTimeout : TimeSpan.Zero),
                    cancellationToken);
                await ExecuteAsync(connection, transaction, script, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return;
            }
            catch (PostgresException e) when (e.SqlState is LockNotAvailable or QueryCanceled or PostgresErrorCodes.DeadlockDetected
                                              && !cancellationToken.IsCancellationRequested)
            {
                await transaction.RollbackAsync(cancellationToken);
                if (attempt > locking.Retries)
                {
                    throw new RollupsBusyException(
                        $"the {what} gave up: the peermetrics tables stayed busy through {attempt} attempts of {locking.LockTimeout.TotalSeconds:0.###} s " +
                        $"(Rollups:LockTimeout, Rollups:LockRetries); nothing was changed by the last attempt, run it again", e);
                }
                var pause = TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * Math.Pow(2, attempt - 1)) * (0.5 + Random.Shared.NextDouble() / 2));
                progress?.Invoke($"tables busy ({e.MessageText}), retrying the {what} in {pause.TotalSeconds:0.##} s (attempt {attempt} of {locking.Retries + 1})");
                await Task.Delay(pause, cancellationToken);
            }
        }
    }

    private static async Task<IAsyncDisposable> InstallerLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand($"SELECT pg_advisory_lock({InstallerLock})", connection) { CommandTimeout = 0 })
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return new Unlock(connection);
    }

    private sealed class Unlock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({InstallerLock})", connection);
                await command.ExecuteNonQueryAsync();
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
        // min_reader_version through to_jsonb: an install of any version answers, with or without that column.
        await using var command = new NpgsqlCommand(
            // Fields past the first eight are read by name from the row as jsonb, so an install of another version
            // (a rolling deploy) that lacks some of them still answers.
            $"SELECT st.version, st.phase, st.ready, st.backlog, st.lag_seconds, st.backfill_done, st.backfill_total, st.applied_at, " +
            $"coalesce((SELECT (to_jsonb(s) ->> 'min_reader_version')::int FROM {RollupsSql.Schema}.state s), st.version), " +
            "to_jsonb(st) ->> 'problem', to_jsonb(st) ->> 'rebuild_reason', " +
            "coalesce((to_jsonb(st) ->> 'log_rows')::bigint, 0), coalesce((to_jsonb(st) ->> 'log_cap')::bigint, 0), " +
            "coalesce((to_jsonb(st) ->> 'unapplied_seconds')::float8, 0) " +
            $"FROM {RollupsSql.Schema}.status() st",
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new RollupsStatus(reader.GetInt32(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt64(3), reader.GetDouble(4),
            reader.GetInt64(5), reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetDateTime(7), reader.GetInt32(8))
        {
            Problem = reader.IsDBNull(9) ? null : reader.GetString(9),
            RebuildReason = reader.IsDBNull(10) ? null : reader.GetString(10),
            LogRows = reader.GetInt64(11),
            LogCap = reader.GetInt64(12),
            UnappliedSeconds = reader.GetDouble(13),
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
            $"{RollupsSql.ShareWatchedTables}; SELECT locked, consumed, backfilled, phase FROM {RollupsSql.Schema}.apply(@max_entries, @batch, @reset_delay)",
            connection, transaction)
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
