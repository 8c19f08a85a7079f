using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// Computes a summary's body from the database, and is the one place that decides whether the rollups or raw rows
/// answer: <c>Rollups:Mode</c> and the monitor's view first (<see cref="ComputeAsync"/>), then the reading snapshot
/// itself (<see cref="QueryAsync{TRow}"/>). A singleton that takes a pooled DbContext only to run a query: a cache
/// hit rents none.
/// </summary>
public sealed class SummaryDatabase(
    IServiceScopeFactory scopes,
    RollupsMonitor rollups,
    RollupsShadow shadow,
    IOptions<RollupsOptions> rollupsOptions,
    IOptions<DatabaseOptions> databaseOptions,
    TimeProvider time)
{
    /// <summary>
    /// The summary's body, and how long computing it took (the shadow comparison excluded). It reads the rollups
    /// when <c>Rollups:Mode</c> is on and they are ready and current, raw rows otherwise; in shadow mode it also
    /// answers from the rollups and compares (<see cref="RollupsShadow"/>).
    /// </summary>
    public async Task<(byte[] Body, TimeSpan Elapsed)> ComputeAsync(SummaryDefinition summary, SummaryQuery query,
        JsonSerializerOptions json, CancellationToken cancellationToken)
    {
        var mode = rollupsOptions.Value.EffectiveMode;
        var rollupsCanServe = mode != RollupsMode.Off && rollups.CanServe();
        var source = mode == RollupsMode.On && rollupsCanServe ? SummarySource.Rollups : SummarySource.Raw;
        var started = time.GetTimestamp();
        var body = await summary.ComputeJsonAsync(query, new Rows(this, source), json, cancellationToken);
        var elapsed = time.GetElapsedTime(started);

        if (mode == RollupsMode.Shadow && rollupsCanServe)
        {
            shadow.Compare(summary, query, body,
                await summary.ComputeJsonAsync(query, new Rows(this, SummarySource.Rollups), json, cancellationToken));
        }
        return (body, elapsed);
    }

    /// <summary>The rows a summary's mapping reads, from <paramref name="Source"/> as <see cref="QueryAsync{TRow}"/> answers it.</summary>
    private sealed record Rows(SummaryDatabase Database, SummarySource Source) : ISummaryRows
    {
        public Task<List<TRow>> ReadAsync<TRow>(SummarySql sql, SummaryQuery query, CancellationToken cancellationToken) =>
            Database.QueryAsync<TRow>(sql, query, Source, cancellationToken);
    }

    // In the reading snapshot: can the rollups serve at all (ready, every trigger logging, a version this build
    // reads: a newer install may have replaced the one the monitor saw), how many logged changes wait (counted up to the
    // limit), the instant every change the answer must hold was committed by, and whether the rollups hold
    // every change committed before that instant less the allowed staleness.
    private static readonly string SnapshotSql = $"""
        SELECT s.phase = 'ready' AND {RollupsSql.Schema}.triggers_ok() AND {RollupsSql.ReadableSql("s")} AS "Ready",
               (SELECT count(*) FROM (SELECT FROM {RollupsSql.Schema}.change_log LIMIT @limit + 1) l) AS "Pending",
               transaction_timestamp() AS "At",
               coalesce(s.current_through >= transaction_timestamp() - @staleness, false) AS "Recent"
        FROM {RollupsSql.Schema}.state s
        """;

    // In a later snapshot: do the rollups hold every change committed before @at?
    private static readonly string CaughtUpSql = $"""
        SELECT s.phase = 'ready' AND {RollupsSql.Schema}.triggers_ok() AND {RollupsSql.ReadableSql("s")} AND s.current_through >= @at AS "Value"
        FROM {RollupsSql.Schema}.state s
        """;

    private const string BeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ";

    private const string Commit = "COMMIT";

    private sealed record SnapshotState(bool Ready, long Pending, DateTime At, bool Recent);

    /// <summary>
    /// The statement's rows for the query. Asked for <see cref="SummarySource.Rollups"/>, it answers from the
    /// rollups only when they hold every change committed before the read, and from raw rows otherwise, so the
    /// answer is always the raw answer over the data committed before the read, or later (with
    /// <see cref="RollupsOptions.MaxStaleness"/> above zero: over data at most that much older):
    /// <list type="bullet">
    /// <item>no change waits to be applied in the reading snapshot: the rollups of that snapshot;</item>
    /// <item>some wait, but the rollups are at most <see cref="RollupsOptions.MaxStaleness"/> behind: the
    /// rollups of that snapshot (never, with the default zero);</item>
    /// <item>a few wait: they are applied now (or by the maintainer already at it), then the rollups of a
    /// snapshot that holds them;</item>
    /// <item>more than <see cref="RollupsOptions.ReadCatchUpLimit"/> wait, or catching up takes longer than
    /// <see cref="RollupsOptions.MaxLag"/>: raw rows.</item>
    /// </list>
    /// </summary>
    private async Task<List<TRow>> QueryAsync<TRow>(SummarySql sql, SummaryQuery query, SummarySource source,
        CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>();
        // Bounded work: past the timeout Npgsql cancels the statement on the server (503, never a 500).
        db.Database.SetCommandTimeout(databaseOptions.Value.StatementTimeoutSeconds);
        if (source == SummarySource.Raw)
        {
            return await RowsAsync<TRow>(db, SummarySource.Raw, sql, query, cancellationToken);
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return await RollupsAsync<TRow>(db, sql, query, cancellationToken);
        }
        catch
        {
            // Closing the connection rolls back a snapshot a failed statement left open.
            await db.Database.CloseConnectionAsync();
            throw;
        }
    }

    private async Task<List<TRow>> RollupsAsync<TRow>(PeerMetricsDbContext db, SummarySql sql, SummaryQuery query, CancellationToken cancellationToken)
    {
        var settings = rollupsOptions.Value;
        var state = await BeginSnapshotAsync(db, SnapshotSql,
            [new NpgsqlParameter("limit", settings.ReadCatchUpLimit), new NpgsqlParameter("staleness", settings.MaxStaleness)],
            row => new SnapshotState(row.GetBoolean(0), row.GetInt64(1), row.GetDateTime(2), row.GetBoolean(3)), cancellationToken);
        RollupsRead? read = !state.Ready ? RollupsRead.Raw
            : state.Pending == 0 ? RollupsRead.Current
            : settings.MaxStaleness > TimeSpan.Zero && state.Recent ? RollupsRead.WithinStaleness
            : state.Pending > settings.ReadCatchUpLimit ? RollupsRead.Raw
            : null;
        if (read is { } answered)
        {
            var rows = await RowsAsync<TRow>(db, answered == RollupsRead.Raw ? SummarySource.Raw : SummarySource.Rollups, sql, query,
                cancellationToken, commit: true);
            rollups.RecordRead(answered);
            return rows;
        }
        await db.Database.ExecuteSqlRawAsync(Commit, cancellationToken);

        return await CatchUpAsync<TRow>(db, sql, query, state.At, settings, cancellationToken);
    }

    /// <summary>
    /// Applies the pending changes (unless another run holds the maintainer lock, or this process does not
    /// maintain) until, in a new snapshot, a committed run started after <paramref name="at"/> left nothing
    /// unapplied; then reads the rollups in that snapshot. Past <see cref="RollupsOptions.MaxLag"/>, the raw rows.
    /// </summary>
    private async Task<List<TRow>> CatchUpAsync<TRow>(PeerMetricsDbContext db, SummarySql sql, SummaryQuery query, DateTime at,
        RollupsOptions settings, CancellationToken cancellationToken)
    {
        var deadline = time.GetTimestamp() + (long)(settings.MaxLag.TotalSeconds * time.TimestampFrequency);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        while (true)
        {
            if (settings.Maintain)
            {
                using var applying = ApiTelemetry.Source.StartActivity("summary.rollups.catch_up");
                // No backfill batch: a request only applies changes (the rollups were ready at its read).
                var run = await RollupsDatabase.ApplyAsync(connection, settings.MaxEntriesPerRun, backfillBatch: 0,
                    settings.ResetDelay, cancellationToken);
                rollups.Record(run);
            }
            var caughtUp = await BeginSnapshotAsync(db, CaughtUpSql, [new NpgsqlParameter("at", at)], row => row.GetBoolean(0), cancellationToken);
            if (caughtUp || time.GetTimestamp() >= deadline)
            {
                var rows = await RowsAsync<TRow>(db, caughtUp ? SummarySource.Rollups : SummarySource.Raw, sql, query, cancellationToken, commit: true);
                rollups.RecordRead(caughtUp ? RollupsRead.CaughtUp : RollupsRead.Raw);
                return rows;
            }
            await db.Database.ExecuteSqlRawAsync(Commit, cancellationToken);
            await Task.Delay(TimeSpan.FromMilliseconds(10), time, cancellationToken);
        }
    }

    /// <summary>
    /// Opens a REPEATABLE READ snapshot that no rewrite of a peermetrics table can empty
    /// (<see cref="RollupsSql.ShareWatchedTables"/>) and reads the rollups' state row in it with
    /// <paramref name="stateSql"/>: the BEGIN, the lock and the state query go to the server as one batch, one
    /// round trip. The snapshot stays open on the connection until a <see cref="Commit"/>; should a later statement
    /// fail, the connection's return to the pool rolls it back.
    /// </summary>
    private async Task<TState> BeginSnapshotAsync<TState>(PeerMetricsDbContext db, string stateSql, NpgsqlParameter[] parameters,
        Func<NpgsqlDataReader, TState> read, CancellationToken cancellationToken)
    {
        using var activity = ApiTelemetry.Source.StartActivity("summary.rollups");
        var state = new NpgsqlBatchCommand(stateSql);
        state.Parameters.AddRange(parameters);
        await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection())
        {
            BatchCommands = { new NpgsqlBatchCommand(BeginSnapshot), new NpgsqlBatchCommand(RollupsSql.ShareWatchedTables), state },
            Timeout = databaseOptions.Value.StatementTimeoutSeconds,
        };
        await using var row = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await row.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"{RollupsSql.Schema}.state holds no row.");
        }
        return read(row);
    }

    /// <summary>
    /// The statement's rows in the form <paramref name="source"/> reads; with <paramref name="commit"/>, the open
    /// snapshot is committed in the same round trip, after them.
    /// </summary>
    private static async Task<List<TRow>> RowsAsync<TRow>(PeerMetricsDbContext db, SummarySource source, SummarySql sql, SummaryQuery query,
        CancellationToken cancellationToken, bool commit = false)
    {
        using var activity = ApiTelemetry.Source.StartActivity("summary.sql");
        activity?.SetTag("summary.source", source == SummarySource.Rollups ? "rollups" : "raw");
        var statement = sql.For(source);
        return await db.Database.SqlQueryRaw<TRow>(commit ? $"{statement};\n{Commit}" : statement, sql.ParametersFor(query))
            .ToListAsync(cancellationToken);
    }
}
