using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Summaries;
using PeerMetrics.Testing;
using PeerMetrics.Tokens;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// <c>-- --rollups [--scales 1,10] [--runs 25]</c>: each summary's SQL, raw vs rollups, on seeded data (default
/// window, 7 days, 1 hour), every scale in its own database of one Postgres, the runs interleaved across scales so
/// their ratio is measured side by side; then, on the first scale's data, the write-side cost of the triggers with
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
            var differences = await RollupsVerifier.VerifyAsync(scale.Connection, [scale.App], [.. windows.Select(w => (w.From, w.Until))], CancellationToken.None);
            Console.WriteLine();
            Console.WriteLine($"Scale {scale.Factor}: rollups vs raw over these windows: {(differences.Count == 0 ? "identical" : $"{differences.Count} DIFFERENCES")}");
        }

        await WriteCostAsync(first);
        await ColdComputesUnderWritesAsync(postgres, last, runs);
        foreach (var scale in scales)
        {
            await scale.Connection.DisposeAsync();
        }
        return 0;
    }

    private static async Task<Scale> SeedAsync(PostgresServer postgres, double factor, bool measureSeedWithout)
    {
        var connectionString = await postgres.CreateDatabaseAsync($"peermetrics_{factor.ToString(CultureInfo.InvariantCulture).Replace('.', '_')}");
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__peermetrics"] = connectionString,
            ["Auth__SigningKey"] = "benchmark-signing-key-0123456789abcdef01234567",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
        };
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
        Console.WriteLine("| writers | statement | p50 µs off | p50 µs on | p50 +µs | +µs per round | p99 µs off | p99 µs on | statements/s off | statements/s on | lock waits seen (on) | deadlocks (on) |");
        Console.WriteLine("|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var writers in new[] { 1, 8 })
        {
            foreach (var statement in Statements)
            {
                var samples = new Dictionary<bool, (List<double> Latencies, double Seconds, long Count)>
                {
                    [false] = ([], 0, 0),
                    [true] = ([], 0, 0),
                };
                long lockWaits = 0, deadlocks = 0;
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
                        if (enabled)
                        {
                            lockWaits += waits;
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
                                  $"{samples[false].Count / samples[false].Seconds:F0} | {samples[true].Count / samples[true].Seconds:F0} | {lockWaits} | {deadlocks} |");
            }
        }
    }

    /// <summary>
    /// Cold computes through the real Api (its maintainer running), idle and while 8 writers change the measured
    /// app: with rollups that stay current under writes, the two are alike; had the reads fallen back to raw rows,
    /// they would take the raw figures of the table above.
    /// </summary>
    private static async Task ColdComputesUnderWritesAsync(PostgresServer postgres, Scale scale, int runs)
    {
        await using var redis = await RedisServer.StartNewAsync();
        const string signingKey = "benchmark-signing-key-0123456789abcdef01234567";
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__peermetrics"] = scale.ConnectionString,
            ["ConnectionStrings__cache"] = redis.ConnectionString,
            ["Auth__SigningKey"] = signingKey,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["SummaryCache__SlowComputeThreshold"] = "00:00:10",
        };
        await using var api = await ApiProcess.StartAsync(environment, LocalProcess.FreePort());
        var tokens = new TokenIssuer(Options.Create(new AuthOptions { SigningKey = signingKey }), TimeProvider.System);
        using var refresher = Http.Client(api.Address, tokens.CreateRefreshToken(TimeSpan.FromHours(1)));
        var window = $"created_at_gte={DateTime.UtcNow.AddDays(-30):yyyy-MM-ddTHH:mm}Z";

        Console.WriteLine();
        Console.WriteLine($"## Cold computes through the Api, scale {scale.Factor}, default window, idle vs 8 writers on the app ({runs} runs, ms)");
        Console.WriteLine();
        Console.WriteLine("| summary | idle p50 | idle p95 | under writes p50 | under writes p95 | p50 ratio |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var idle = new Dictionary<string, Stats>();
        foreach (var summary in SummaryCatalog.All)
        {
            var url = $"{summary.Route}?appId={scale.App}&{window}";
            await Http.TimeAsync(refresher, url, noCache: true);
            idle[summary.Label] = await ColdStatsAsync(refresher, url, runs);
        }
        using var stop = new CancellationTokenSource();
        var writes = Statements.Select(statement => WriteAsync(scale.ConnectionString, scale.App, 2, statement, TimeSpan.FromMinutes(10), stop.Token)).ToList();
        var underWrites = new Dictionary<string, Stats>();
        foreach (var summary in SummaryCatalog.All)
        {
            underWrites[summary.Label] = await ColdStatsAsync(refresher, $"{summary.Route}?appId={scale.App}&{window}", runs);
        }
        await stop.CancelAsync();
        var written = (await Task.WhenAll(writes)).Sum(w => (double)w.Latencies.Count / w.Seconds);
        foreach (var summary in SummaryCatalog.All)
        {
            var (quiet, busy) = (idle[summary.Label], underWrites[summary.Label]);
            Console.WriteLine($"| {summary.Label} | {quiet.P50:F1} | {quiet.P95:F1} | {busy.P50:F1} | {busy.P95:F1} | {busy.P50 / quiet.P50:F2} |");
        }
        Console.WriteLine();
        Console.WriteLine($"Writers: {written:F0} statements/s on the app during the measurement.");
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

    private static async Task<(List<double> Latencies, double Seconds, long LockWaits)> WriteAsync(string connectionString, Guid app, int writers,
        Statement statement, TimeSpan duration, CancellationToken stopped = default)
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
            // Each writer its own rows (as concurrent Django requests on one app are for different calls).
            await using var pick = new NpgsqlCommand("""
                SELECT s.conference_id, s.participant_id, s.id, x.id FROM app_session s
                JOIN conference c ON c.id = s.conference_id JOIN app_connection x ON x.session_id = s.id
                WHERE c.app_id = @app AND jsonb_typeof(x.connection_info -> 'negotiations') = 'array'
                ORDER BY s.id OFFSET @offset LIMIT 1
                """, connection);
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
            while (Running())
            {
                var started = Stopwatch.GetTimestamp();
                await command.ExecuteNonQueryAsync();
                own.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }
        }));
        var seconds = stop.Elapsed.TotalSeconds;
        return ([.. samples.SelectMany(s => s)], seconds, await lockWaits);
    }

    private static async Task<long> SampleLockWaitsAsync(string connectionString, Func<bool> running)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
        long seen = 0;
        while (running())
        {
            seen += (long)(await command.ExecuteScalarAsync())!;
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
