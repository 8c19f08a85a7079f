using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Summaries;
using PeerMetrics.Api.Summaries.Definitions;
using PeerMetrics.Testing;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// <c>-- --rollups [--scales 1,10] [--runs 25]</c>: each summary's SQL, raw vs rollups, on seeded data (default
/// window, 7 days, 1 hour), every scale in its own database of one Postgres, the runs interleaved across scales so
/// their ratio is measured side by side; the rollups schema's size against the six tables it summarizes, per scale;
/// then, on the first scale's data, the write-side cost of the triggers with
/// Django-shaped statements, triggers enabled and disabled in alternating rounds, 1 and 8 writers on one app.
/// </summary>
internal static class RollupsBenchmark
{
    private const int RawRuns = 5;
    private const int WriteRounds = 3;

    private sealed record Scale(double Factor, string ConnectionString, NpgsqlConnection Connection, Guid App);

    public static async Task<int> RunAsync(double[] factors, int runs)
    {
        await using var postgres = await PostgresServer.StartNewAsync();
        var scales = new List<Scale>();
        foreach (var factor in factors)
        {
            scales.Add(await SeedAsync(postgres, factor, measureSeedWithout: scales.Count == 0));
        }

        var now = DateTime.UtcNow;
        var minute = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        (string Name, DateTime? From, DateTime? Until)[] windows =
        [
            ("default (30 d)", minute.AddDays(-30), null),
            ("7 days", minute.AddDays(-7), minute.AddMinutes(1)),
            ("1 hour", minute.AddHours(-1), minute.AddMinutes(1)),
        ];
        var first = scales[0];
        var last = scales[^1];
        Console.WriteLine();
        Console.WriteLine($"## Summary SQL, raw vs rollups, dominant app, median ms (rollups {runs} runs, raw {RawRuns}), runs interleaved across scales");
        Console.WriteLine();
        Console.WriteLine("| summary | window | " + string.Join(" | ", scales.Select(x => $"scale {x.Factor} raw | scale {x.Factor} rollups")) +
                          (scales.Count > 1 ? $" | rollups scale {last.Factor} / scale {first.Factor} |" : " |"));
        Console.WriteLine("|---|---|" + string.Concat(scales.Select(_ => "---:|---:|")) + (scales.Count > 1 ? "---:|" : ""));
        foreach (var summary in SummaryCatalog.All)
        {
            foreach (var (name, from, until) in windows)
            {
                var raw = await InterleavedMediansAsync(scales, RawRuns, x => RollupQueries.RunAsync(x.Connection, summary, SummarySource.Raw, x.App, from, until, CancellationToken.None));
                var rollups = await InterleavedMediansAsync(scales, runs, x => RollupQueries.RunAsync(x.Connection, summary, SummarySource.Rollups, x.App, from, until, CancellationToken.None));
                var cells = scales.Select((_, i) => $"{raw[i]:F1} | {rollups[i]:F2}");
                Console.WriteLine($"| {summary.Label} | {name} | {string.Join(" | ", cells)} |" +
                                  (scales.Count > 1 ? $" {rollups[^1] / rollups[0]:F2} |" : ""));
            }
        }
        foreach (var scale in scales)
        {
            await FootprintAsync(scale);
        }
        foreach (var scale in scales)
        {
            var differences = await RollupsVerifier.VerifyAsync(scale.Connection, [scale.App], [.. windows.Select(w => (w.From, w.Until))], CancellationToken.None);
            Console.WriteLine();
            Console.WriteLine($"Scale {scale.Factor}: rollups vs raw over these windows: {(differences.Count == 0 ? "identical" : $"{differences.Count} DIFFERENCES")}");
        }

        await WriteCostAsync(first);
        await ColdComputesUnderWritesAsync(last, Math.Min(runs, 10));
        foreach (var scale in scales)
        {
            await scale.Connection.DisposeAsync();
        }
        return 0;
    }

    private static async Task<Scale> SeedAsync(PostgresServer postgres, double factor, bool measureSeedWithout)
    {
        var connectionString = await postgres.CreateDatabaseAsync($"peermetrics_{factor.ToString(CultureInfo.InvariantCulture).Replace('.', '_')}");
        var environment = ApiProcess.Environment(connectionString);
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 }.ConnectionString);
        await connection.OpenAsync();
        if (measureSeedWithout)
        {
            // The same seed (it wipes and refills) without the rollups installed, for the triggers' cost on COPY.
            var without = Stopwatch.StartNew();
            await ApiProcess.SeedAsync(environment, factor);
            await RollupsDatabase.UninstallAsync(connection, CancellationToken.None);
            without.Restart();
            await ApiProcess.SeedAsync(environment, factor);
            Console.WriteLine($"Seeded scale {factor} without the rollups in {without.Elapsed.TotalSeconds:F1} s");
            await RollupsDatabase.InstallAsync(connection, null, CancellationToken.None);
        }
        var clock = Stopwatch.StartNew();
        var seed = JsonNode.Parse(await ApiProcess.SeedAsync(environment, factor))!;
        Console.WriteLine($"Seeded scale {factor} with the rollups installed in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        await RollupsDatabase.CatchUpAsync(connection, 2_000, TimeSpan.Zero, null, CancellationToken.None);
        Console.WriteLine($"Backfilled the rollups in {clock.Elapsed.TotalSeconds:F1} s");
        await ExecuteAsync(connection, "ANALYZE");
        return new Scale(factor, connectionString, connection, Guid.Parse(seed["apps"]![0]!["id"]!.GetValue<string>()));
    }

    // The tables the rollups summarize; the rollups' footprint is measured against theirs.
    private static readonly string[] Summarized =
        ["conference", "app_issue", "app_connection", "app_session", "participant_conferences", "participant"];

    private const string Schema = "peermetrics_rollups";

    /// <summary>
    /// The rollups schema's size (heap, indexes and TOAST of every table, after a VACUUM) against the six tables
    /// it summarizes, per relation and in total.
    /// </summary>
    private static async Task FootprintAsync(Scale scale)
    {
        await ExecuteAsync(scale.Connection, "VACUUM ANALYZE");
        var version = (await RollupsDatabase.StatusAsync(scale.Connection, CancellationToken.None))!.Version;
        await using var command = new NpgsqlCommand("""
            SELECT n.nspname, c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND (n.nspname = @schema OR (n.nspname = 'public' AND c.relname = ANY (@summarized)))
            ORDER BY n.nspname <> @schema, pg_total_relation_size(c.oid) DESC
            """, scale.Connection);
        command.Parameters.AddWithValue("schema", Schema);
        command.Parameters.AddWithValue("summarized", Summarized);
        var relations = new List<(string Schema, string Name, long Rows, long Bytes)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                relations.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }
        var rollups = relations.Where(r => r.Schema == Schema).ToList();
        var tables = relations.Where(r => r.Schema != Schema).ToList();
        static double Mb(long bytes) => bytes / 1_000_000.0;
        Console.WriteLine();
        Console.WriteLine($"## Footprint, scale {scale.Factor}: the {Schema} schema (version {version}) vs the six tables it summarizes");
        Console.WriteLine();
        Console.WriteLine("| relation | rows | MB (heap + indexes + TOAST) |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (schema, name, rows, bytes) in relations.Where(r => r.Bytes >= 1_000_000))
        {
            Console.WriteLine($"| {schema}.{name} | {rows:N0} | {Mb(bytes):F1} |");
        }
        var rollupsBytes = rollups.Sum(r => r.Bytes);
        var tablesBytes = tables.Sum(r => r.Bytes);
        Console.WriteLine($"| **{Schema}** (all {rollups.Count} tables) | {rollups.Sum(r => Math.Max(r.Rows, 0)):N0} | **{Mb(rollupsBytes):F1}** |");
        Console.WriteLine($"| **the six tables** | {tables.Sum(r => Math.Max(r.Rows, 0)):N0} | **{Mb(tablesBytes):F1}** |");
        Console.WriteLine();
        Console.WriteLine($"Scale {scale.Factor}: rollups / tables = {100.0 * rollupsBytes / tablesBytes:F1} %");
    }

    /// <summary>Median ms per scale; each run measures every scale once, in turn, after one warm-up run each.</summary>
    private static async Task<double[]> InterleavedMediansAsync(List<Scale> scales, int runs, Func<Scale, Task> run)
    {
        var samples = scales.Select(_ => new List<double>()).ToArray();
        foreach (var scale in scales)
        {
            await run(scale);
        }
        for (var i = 0; i < runs; i++)
        {
            for (var s = 0; s < scales.Count; s++)
            {
                var started = Stopwatch.GetTimestamp();
                await run(scales[s]);
                samples[s].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        return [.. samples.Select(x => new Stats(x).P50)];
    }

    private static async Task WriteCostAsync(Scale scale)
    {
        Console.WriteLine();
        Console.WriteLine($"## Write-side cost of the triggers, scale {scale.Factor}, one app, {WriteRounds} alternating rounds of 3 s per case");
        Console.WriteLine();
        Console.WriteLine("| writers | statement | p50 µs off | p50 µs on | p50 +µs | +µs per round | p99 µs off | p99 µs on | statements/s off | statements/s on | lock waits seen off | lock waits seen on | deadlocks on |");
        Console.WriteLine("|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---|---|---:|");
        foreach (var writers in new[] { 1, 8 })
        {
            foreach (var statement in Statements)
            {
                var samples = new Dictionary<bool, (List<double> Latencies, double Seconds, long Count)>
                {
                    [false] = ([], 0, 0),
                    [true] = ([], 0, 0),
                };
                var lockWaits = new Dictionary<bool, Dictionary<string, long>> { [false] = [], [true] = [] };
                long deadlocks = 0;
                var perRound = new List<double>();
                for (var round = 0; round < WriteRounds; round++)
                {
                    var roundP50 = new Dictionary<bool, double>();
                    // Alternate which goes first, so a drift in the machine's speed favours neither.
                    foreach (var enabled in round % 2 == 0 ? new[] { true, false } : [false, true])
                    {
                        await SetTriggersAsync(scale.Connection, enabled);
                        var deadlocksBefore = await DeadlocksAsync(scale.Connection);
                        var (latencies, seconds, waits) = await WriteAsync(scale.ConnectionString, scale.App, writers, statement, TimeSpan.FromSeconds(3));
                        roundP50[enabled] = new Stats(latencies).P50;
                        var (all, total, count) = samples[enabled];
                        all.AddRange(latencies);
                        samples[enabled] = (all, total + seconds, count + latencies.Count);
                        foreach (var (waitEvent, seen) in waits)
                        {
                            lockWaits[enabled][waitEvent] = lockWaits[enabled].GetValueOrDefault(waitEvent) + seen;
                        }
                        if (enabled)
                        {
                            deadlocks += await DeadlocksAsync(scale.Connection) - deadlocksBefore;
                        }
                    }
                    perRound.Add(roundP50[true] - roundP50[false]);
                }
                await SetTriggersAsync(scale.Connection, true);
                // The maintainer is not running here: empty the log between cases.
                await RollupsDatabase.CatchUpAsync(scale.Connection, 2_000, TimeSpan.Zero, null, CancellationToken.None);
                var off = new Stats(samples[false].Latencies);
                var on = new Stats(samples[true].Latencies);
                Console.WriteLine($"| {writers} | {statement.Name} | {off.P50:F0} | {on.P50:F0} | {on.P50 - off.P50:+0;-0} | {string.Join(", ", perRound.Select(d => d.ToString("+0;-0", CultureInfo.InvariantCulture)))} | {off.P99:F0} | {on.P99:F0} | " +
                                  $"{samples[false].Count / samples[false].Seconds:F0} | {samples[true].Count / samples[true].Seconds:F0} | {Waits(lockWaits[false])} | {Waits(lockWaits[true])} | {deadlocks} |");
            }
        }
    }

    /// <summary>
    /// Cold computes through the real Api (its maintainer running), idle and while 8 writers change the measured
    /// app's live calls at a steady <see cref="SteadyWritesPerSecond"/>, with the default <c>Rollups:MaxStaleness</c>
    /// (0: exact, a compute applies what is pending first) and with 1 s. The maintainer's lag is sampled meanwhile.
    /// </summary>
    private static async Task ColdComputesUnderWritesAsync(Scale scale, int runs)
    {
        await using var redis = await RedisServer.StartNewAsync();
        var window = $"created_at_gte={DateTime.UtcNow.AddDays(-30):yyyy-MM-ddTHH:mm}Z";
        var columns = new List<(string Name, Dictionary<string, Stats> Cold, Stats? Lag)>();
        foreach (var staleness in new[] { "00:00:00", "00:00:01" })
        {
            var environment = ApiProcess.Environment(scale.ConnectionString, redis.ConnectionString);
            environment["Rollups__MaxStaleness"] = staleness;
            await using var api = await ApiProcess.StartAsync(environment, LocalProcess.FreePort());
            using var refresher = Http.Client(api.Address, ApiProcess.Tokens().CreateRefreshToken(TimeSpan.FromHours(1)));
            if (columns.Count == 0)
            {
                columns.Add(("idle", await ColdAllAsync(refresher, scale.App, window, runs), null));
            }
            using var stop = new CancellationTokenSource();
            var writes = Statements.Select(statement => WriteAsync(scale.ConnectionString, scale.App, 2, statement, TimeSpan.FromMinutes(10),
                stop.Token, SteadyWritesPerSecond / 8.0)).ToList();
            var lag = SampleLagAsync(scale.ConnectionString, stop.Token);
            var cold = await ColdAllAsync(refresher, scale.App, window, runs);
            await stop.CancelAsync();
            var written = (await Task.WhenAll(writes)).Sum(w => w.Latencies.Count / w.Seconds);
            columns.Add(($"under writes, MaxStaleness {staleness} ({written:F0} writes/s)", cold, new Stats(await lag)));
        }

        Console.WriteLine();
        Console.WriteLine($"## Cold computes through the Api, scale {scale.Factor}, default window, idle vs steady writes on the app ({runs} runs, p50 / p95 ms)");
        Console.WriteLine();
        Console.WriteLine("| summary | " + string.Join(" | ", columns.Select(c => c.Name)) + " |");
        Console.WriteLine("|---|" + string.Concat(columns.Select(_ => "---:|")));
        foreach (var summary in SummaryCatalog.All)
        {
            Console.WriteLine($"| {summary.Label} | " + string.Join(" | ", columns.Select(c => $"{c.Cold[summary.Label].P50:F1} / {c.Cold[summary.Label].P95:F1}")) + " |");
        }
        Console.WriteLine();
        foreach (var (name, _, lag) in columns.Where(c => c.Lag is not null))
        {
            Console.WriteLine($"Maintainer lag (age of the oldest pending change, sampled every 100 ms), {name}: p50 {lag!.P50:F2} s, p99 {lag.P99:F2} s, max {lag.Percentile(100):F2} s");
        }
    }

    private const int SteadyWritesPerSecond = 200;

    private static async Task<Dictionary<string, Stats>> ColdAllAsync(HttpClient refresher, Guid app, string window, int runs)
    {
        var cold = new Dictionary<string, Stats>();
        foreach (var summary in SummaryCatalog.All)
        {
            var url = $"{summary.Route}?appId={app}&{window}";
            await Http.TimeAsync(refresher, url, noCache: true);
            cold[summary.Label] = await ColdStatsAsync(refresher, url, runs);
        }
        return cold;
    }

    private static async Task<List<double>> SampleLagAsync(string connectionString, CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT lag_seconds FROM peermetrics_rollups.status()", connection);
        var samples = new List<double>();
        while (!stop.IsCancellationRequested)
        {
            samples.Add((double)(await command.ExecuteScalarAsync())!);
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return samples;
    }

    private static async Task<Stats> ColdStatsAsync(HttpClient refresher, string url, int runs)
    {
        var samples = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            samples.Add(await Http.TimeAsync(refresher, url, noCache: true));
        }
        return new Stats(samples);
    }

    private static string Waits(Dictionary<string, long> waits) =>
        waits.Count == 0 ? "0" : string.Join(", ", waits.OrderByDescending(w => w.Value).Select(w => $"{w.Key} {w.Value}"));

    // Disabling the triggers, not uninstalling: a round switches in a moment and the rollups stay installed.
    private static Task SetTriggersAsync(NpgsqlConnection connection, bool enabled) => ExecuteAsync(connection, $"""
        DO $$
        DECLARE t record;
        BEGIN
            FOR t IN SELECT tbl, name FROM peermetrics_rollups.watched LOOP
                EXECUTE format('ALTER TABLE public.%I {(enabled ? "ENABLE" : "DISABLE")} TRIGGER %I', t.tbl, t.name);
            END LOOP;
        END
        $$
        """);

    private static async Task<long> DeadlocksAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private sealed record Statement(string Name, string Sql);

    // One row each; @conference, @participant, @session and @connection are rows of the measured app.
    private static readonly Statement[] Statements =
    [
        new("INSERT session", """
            INSERT INTO app_session (id, constraints, devices, platform, metadata, geo_ip, app_version, webrtc_sdk, session_info, duration, end_time, call_start, created_at, is_active, conference_id, participant_id)
            VALUES (gen_random_uuid(), '{}', '[]', '{"browser": {"name": "Chrome"}, "os": {"name": "Windows"}}', '{}',
                    '{"city": "Paris", "country_code": "FR", "latitude": 48.85, "longitude": 2.35}', '1.0', 'sdk', '{}', 0, NULL, NULL, now(), true, @conference, @participant)
            """),
        new("UPDATE connection (full row, a second negotiation)", """
            UPDATE app_connection SET type = type, state = state, start_time = start_time, end_time = end_time, duration = duration,
                created_at = created_at, is_active = is_active, conference_id = conference_id, participant_id = participant_id, peer_id = peer_id,
                session_id = session_id,
                connection_info = jsonb_set(connection_info, '{negotiations}', jsonb_build_array(
                    coalesce(connection_info -> 'negotiations' -> 0, '{}'),
                    '{"status": "connected", "start_time": "2026-12-01 10:00:00.000000", "end_time": "2026-12-01 10:00:00.400000"}'::jsonb))
            WHERE id = @connection
            """),
        new("INSERT issue", """
            INSERT INTO app_issue (id, type, code, data, created_at, is_active, conference_id, connection_id, participant_id, session_id, track_id)
            VALUES (gen_random_uuid(), 'w', 'getusermedia_error', '{"name": "NotAllowedError", "message": "Permission denied"}', now(), true,
                    @conference, NULL, @participant, @session, NULL)
            """),
        new("soft delete session", "UPDATE app_session SET is_active = NOT is_active WHERE id = @session"),
    ];

    private static async Task<(List<double> Latencies, double Seconds, Dictionary<string, long> LockWaits)> WriteAsync(string connectionString, Guid app, int writers,
        Statement statement, TimeSpan duration, CancellationToken stopped = default, double perWriterPerSecond = 0)
    {
        var samples = new List<double>[writers];
        var stop = Stopwatch.StartNew();
        // Sampled every 10 ms while the writers run: backends of this database waiting for a heavyweight lock.
        bool Running() => stop.Elapsed < duration && !stopped.IsCancellationRequested;
        var lockWaits = SampleLockWaitsAsync(connectionString, Running);
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            // Each writer its own rows of a live call (as concurrent Django requests on one app are for different
            // calls): the app's latest sessions.
            await using var pick = new NpgsqlCommand("""
                SELECT s.conference_id, s.participant_id, s.id, x.id FROM app_session s
                JOIN conference c ON c.id = s.conference_id JOIN app_connection x ON x.session_id = s.id
                WHERE c.app_id = @app AND jsonb_typeof(x.connection_info -> 'negotiations') = 'array'
                ORDER BY s.created_at DESC, s.id OFFSET @offset LIMIT 1
                """, connection) { CommandTimeout = 0 }; // a sort of the app's sessions: slow at scale 10 on a busy machine
            pick.Parameters.AddWithValue("app", app);
            pick.Parameters.AddWithValue("offset", writer * 97);
            Guid conference, participant, session, connectionId;
            await using (var reader = await pick.ExecuteReaderAsync())
            {
                await reader.ReadAsync();
                (conference, participant, session, connectionId) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3));
            }
            await using var command = new NpgsqlCommand(statement.Sql, connection);
            command.Parameters.Add(new NpgsqlParameter("conference", NpgsqlDbType.Uuid) { Value = conference });
            command.Parameters.Add(new NpgsqlParameter("participant", NpgsqlDbType.Uuid) { Value = participant });
            command.Parameters.Add(new NpgsqlParameter("session", NpgsqlDbType.Uuid) { Value = session });
            command.Parameters.Add(new NpgsqlParameter("connection", NpgsqlDbType.Uuid) { Value = connectionId });
            await command.PrepareAsync();
            var own = samples[writer] = [];
            var pace = perWriterPerSecond > 0 ? TimeSpan.FromSeconds(1 / perWriterPerSecond) : TimeSpan.Zero;
            var next = Stopwatch.GetTimestamp();
            while (Running())
            {
                var started = Stopwatch.GetTimestamp();
                await command.ExecuteNonQueryAsync();
                own.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                if (pace > TimeSpan.Zero)
                {
                    next += (long)(pace.TotalSeconds * Stopwatch.Frequency);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, CancellationToken.None);
                    }
                }
            }
        }));
        var seconds = stop.Elapsed.TotalSeconds;
        return ([.. samples.SelectMany(s => s)], seconds, await lockWaits);
    }

    /// <summary>Lock waits by wait event (e.g. <c>extend</c>, <c>transactionid</c>), summed over the samples.</summary>
    private static async Task<Dictionary<string, long>> SampleLockWaitsAsync(string connectionString, Func<bool> running)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT wait_event FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
        var seen = new Dictionary<string, long>();
        while (running())
        {
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var waitEvent = reader.GetString(0);
                    seen[waitEvent] = seen.GetValueOrDefault(waitEvent) + 1;
                }
            }
            await Task.Delay(10);
        }
        return seen;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
