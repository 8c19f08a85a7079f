using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Summaries;
using PeerMetrics.Testing;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// <c>-- --rollups [--scale 1] [--runs 25]</c>: each summary's SQL, raw vs rollups, on the same seeded data in
/// the same run (default window, 7 days, 1 hour), then the write-side cost of the triggers with Django-shaped
/// statements, with and without the rollups, 1 and 8 writers on one app.
/// </summary>
internal static class RollupsBenchmark
{
    public static async Task<int> RunAsync(double scale, int runs)
    {
        await using var postgres = await PostgresServer.StartNewAsync();
        var connectionString = await postgres.CreateDatabaseAsync("peermetrics");
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__peermetrics"] = connectionString,
            ["Auth__SigningKey"] = "benchmark-signing-key-0123456789abcdef01234567",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var clock = Stopwatch.StartNew();
        var seed = JsonNode.Parse(await ApiProcess.SeedAsync(environment, scale))!;
        Console.WriteLine($"Seeded scale {scale} with the rollups installed in {clock.Elapsed.TotalSeconds:F1} s");
        var app = Guid.Parse(seed["apps"]![0]!["id"]!.GetValue<string>());

        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 }.ConnectionString);
        await connection.OpenAsync();
        clock.Restart();
        await RollupsDatabase.CatchUpAsync(connection, 2_000, TimeSpan.Zero, null, CancellationToken.None);
        Console.WriteLine($"Backfilled the rollups in {clock.Elapsed.TotalSeconds:F1} s");
        await ExecuteAsync(connection, "ANALYZE");

        var now = DateTime.UtcNow;
        var minute = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        (string Name, DateTime? From, DateTime? Until)[] windows =
        [
            ("default (30 d)", minute.AddDays(-30), null),
            ("7 days", minute.AddDays(-7), minute.AddMinutes(1)),
            ("1 hour", minute.AddHours(-1), minute.AddMinutes(1)),
        ];
        Console.WriteLine();
        Console.WriteLine($"## Summary SQL, raw vs rollups, app {app}, median of {runs} runs (ms)");
        Console.WriteLine();
        Console.WriteLine("| summary | " + string.Join(" | ", windows.Select(w => $"{w.Name} raw | {w.Name} rollups")) + " |");
        Console.WriteLine("|---|" + string.Concat(windows.Select(_ => "---:|---:|")));
        foreach (var summary in SummaryCatalog.All)
        {
            var cells = new List<string>();
            foreach (var (_, from, until) in windows)
            {
                var raw = await MedianAsync(runs, () => RollupQueries.RunAsync(connection, summary, SummarySource.Raw, app, from, until, CancellationToken.None));
                var rollup = await MedianAsync(runs, () => RollupQueries.RunAsync(connection, summary, SummarySource.Rollups, app, from, until, CancellationToken.None));
                cells.Add($"{raw:F1} | {rollup:F2}");
            }
            Console.WriteLine($"| {summary.Label} | {string.Join(" | ", cells)} |");
        }

        var differences = await RollupsVerifier.VerifyAsync(connection, [app], [.. windows.Select(w => (w.From, w.Until))], CancellationToken.None);
        Console.WriteLine();
        Console.WriteLine($"Rollups vs raw over these windows: {(differences.Count == 0 ? "identical" : $"{differences.Count} DIFFERENCES")}");

        Console.WriteLine();
        Console.WriteLine("## Write-side cost of the triggers (Django-shaped statements, one app), per statement");
        Console.WriteLine();
        Console.WriteLine("| rollups | writers | statement | p50 µs | p99 µs | statements/s |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|");
        foreach (var installed in new[] { true, false })
        {
            if (!installed)
            {
                await RollupsDatabase.UninstallAsync(connection, CancellationToken.None);
            }
            foreach (var writers in new[] { 1, 8 })
            {
                foreach (var statement in Statements)
                {
                    var (p50, p99, perSecond) = await WriteAsync(connectionString, app, writers, statement, TimeSpan.FromSeconds(3));
                    Console.WriteLine($"| {(installed ? "on" : "off")} | {writers} | {statement.Name} | {p50:F0} | {p99:F0} | {perSecond:F0} |");
                }
                if (installed)
                {
                    // The maintainer is not running here: empty the log between measurements.
                    await RollupsDatabase.CatchUpAsync(connection, 2_000, TimeSpan.Zero, null, CancellationToken.None);
                }
            }
        }
        return 0;
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

    private static async Task<(double P50, double P99, double PerSecond)> WriteAsync(string connectionString, Guid app, int writers,
        Statement statement, TimeSpan duration)
    {
        var samples = new List<double>[writers];
        var stop = Stopwatch.StartNew();
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
            while (stop.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await command.ExecuteNonQueryAsync();
                own.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }
        }));
        var all = new Stats(samples.SelectMany(s => s));
        return (all.P50, all.P99, all.Count / stop.Elapsed.TotalSeconds);
    }

    private static async Task<double> MedianAsync(int runs, Func<Task> run)
    {
        await run();
        var samples = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await run();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return new Stats(samples).P50;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
