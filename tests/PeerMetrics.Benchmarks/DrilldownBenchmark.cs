using System.Diagnostics;
using System.Text.Json.Nodes;
using PeerMetrics.Testing;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// The unpaged drill-down (<c>/v1/conferences?appId=…</c>, every conference of the app at once, as the dashboard asks
/// at load): its time, body and the Api process's memory, at several scales, to show the memory does not grow
/// with the rows (the body is streamed as it is read).
/// </summary>
public static class DrilldownBenchmark
{
    public static async Task<int> RunAsync(double[] scales, int runs)
    {
        await using var postgres = await PostgresServer.StartNewAsync();
        await using var redis = await RedisServer.StartNewAsync();
        Console.WriteLine($"## Unpaged drill-down of the dominant app, one request at a time, {runs} runs per scale");
        Console.WriteLine();
        Console.WriteLine("| scale | rows | body MB | first byte p50 s | whole body p50 s | RSS before MB | peak RSS during MB | largest peak − before MB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var scale in scales)
        {
            var environment = ApiProcess.Environment(await postgres.CreateDatabaseAsync(), redis.ConnectionString);
            // The list reads raw rows; rollups would only add their backfill to the measurement.
            environment["Rollups__Mode"] = "off";
            // A small first generation (4 MiB; Server GC's default is far larger): garbage is collected at once, so
            // the process's peak memory follows what the request keeps alive, not what it allocated.
            environment["DOTNET_gcServer"] = "0";
            environment["DOTNET_GCgen0size"] = "0x400000";
            var seed = JsonNode.Parse(await ApiProcess.SeedAsync(environment, scale))!;
            var token = seed["token"]!.GetValue<string>();
            var appId = seed["apps"]![0]!["id"]!.GetValue<string>();
            var durations = new List<double>();
            var firstBytes = new List<double>();
            long rows = 0, bytes = 0, before = 0, peak = 0, growth = 0;
            // A fresh Api per run, warmed only by a one-row page: its peak then shows what one whole list costs.
            for (var run = 0; run < runs; run++)
            {
                await using var api = await ApiProcess.StartAsync(environment, LocalProcess.FreePort());
                using var client = Http.Client(api.Address, token);
                rows = JsonNode.Parse(await client.GetStringAsync($"/v1/conferences?appId={appId}&limit=1"))!["count"]!.GetValue<long>();
                var (resident, _) = api.Memory();
                api.ResetPeakMemory();
                var started = Stopwatch.GetTimestamp();
                (bytes, var firstByte) = await ReadAllAsync(client, $"/v1/conferences?appId={appId}");
                durations.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                firstBytes.Add(firstByte.TotalSeconds);
                before = Math.Max(before, resident);
                var during = api.Memory().Peak;
                peak = Math.Max(peak, during);
                growth = Math.Max(growth, during - resident);
            }
            Console.WriteLine($"| {scale} | {rows} | {bytes / 1e6:F1} | {new Stats(firstBytes).P50:F3} | {new Stats(durations).P50:F2} | {before / 1e6:F0} | {peak / 1e6:F0} | {growth / 1e6:F0} |");
        }
        return 0;
    }

    /// <summary>
    /// <paramref name="concurrent"/> unpaged drill-downs at once from one organization, at scale 1, with the Api's
    /// default bounds: another organization's warm and cold summaries are timed before and during, and the
    /// database's connections and the Api's memory are sampled while the load runs.
    /// </summary>
    public static async Task<int> RunLoadAsync(double scale, int concurrent, int runs)
    {
        await using var postgres = await PostgresServer.StartNewAsync();
        await using var redis = await RedisServer.StartNewAsync();
        var database = await postgres.CreateDatabaseAsync();
        var environment = ApiProcess.Environment(database, redis.ConnectionString);
        // Raw rows, so the quiet organization's cold computes compete with the drill-downs for the same database.
        environment["Rollups__Mode"] = "off";
        var seed = JsonNode.Parse(await ApiProcess.SeedAsync(environment, scale))!;
        var busyToken = seed["token"]!.GetValue<string>();
        var busyApp = seed["apps"]![0]!["id"]!.GetValue<string>();
        var quietApp = seed["apps"]![1]!["id"]!.GetValue<string>();
        var quietOrganization = await TenantIsolation.MoveToNewOrganizationAsync(database, Guid.Parse(quietApp));
        var quietToken = ApiProcess.Tokens().CreateOrganizationToken(quietOrganization, TimeSpan.FromHours(1));
        await using var api = await ApiProcess.StartAsync(environment, LocalProcess.FreePort());
        using var quiet = Http.Client(api.Address, quietToken, 1);
        using var busy = Http.Client(api.Address, busyToken, concurrent);
        var warmUrl = $"{ConferenceStatusSummary.Definition.Route}?appId={quietApp}";
        var minute = 0;
        string ColdUrl() => $"{ConnectionTypeSummary.Definition.Route}?appId={quietApp}&created_at_gte={DateTime.UtcNow.AddDays(-30).AddMinutes(-++minute):yyyy-MM-ddTHH:mm}Z";
        await Http.TimeAsync(quiet, warmUrl, noCache: false);
        await ReadAllAsync(busy, $"/v1/conferences?appId={busyApp}&limit=1");

        var idle = await TenantIsolation.MeasureAsync(quiet, warmUrl, ColdUrl, runs);
        api.ResetPeakMemory();
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var load = Task.WhenAll(Enumerable.Range(0, concurrent).Select(async _ =>
        {
            using var response = await busy.GetAsync($"/v1/conferences?appId={busyApp}", HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.CopyToAsync(Stream.Null);
            statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
        }));
        var connections = SampleConnectionsAsync(database, load);
        var loaded = await TenantIsolation.MeasureAsync(quiet, warmUrl, ColdUrl, runs);
        await load;
        var maxConnections = await connections;
        var (_, peak) = api.Memory();

        Console.WriteLine($"## {concurrent} concurrent unpaged drill-downs from one organization (scale {scale}, default bounds)");
        Console.WriteLine();
        Console.WriteLine("| phase | quiet warm p50 ms | quiet warm p99 ms | quiet cold p50 ms | quiet cold p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine($"| idle | {idle.Warm.P50:F2} | {idle.Warm.P99:F2} | {idle.Cold.P50:F1} | {idle.Cold.P99:F1} |");
        Console.WriteLine($"| drill-downs running | {loaded.Warm.P50:F2} | {loaded.Warm.P99:F2} | {loaded.Cold.P50:F1} | {loaded.Cold.P99:F1} |");
        Console.WriteLine();
        Console.WriteLine($"Quiet organization under load / idle (p50): warm {loaded.Warm.P50 / idle.Warm.P50:F2}×, cold {loaded.Cold.P50 / idle.Cold.P50:F2}× (target < 3×)");
        Console.WriteLine($"Drill-downs answered: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value}× {s.Key}"))}");
        Console.WriteLine($"Most connections of the Api's database in pg_stat_activity: {maxConnections} (Database:MaxPoolSize per replica, default 20)");
        Console.WriteLine($"Api peak resident memory during the load: {peak / 1e6:F0} MB");
        return 0;
    }

    private static async Task<int> SampleConnectionsAsync(string database, Task until)
    {
        var name = new Npgsql.NpgsqlConnectionStringBuilder(database).Database;
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        var most = 0;
        while (!until.IsCompleted)
        {
            await using var command = new Npgsql.NpgsqlCommand(
                "SELECT count(*)::int - 1 FROM pg_stat_activity WHERE datname = @name", connection);
            command.Parameters.AddWithValue("name", name!);
            most = Math.Max(most, (int)(await command.ExecuteScalarAsync())!);
            await Task.Delay(50);
        }
        return most;
    }

    // Counts the body's bytes as they arrive (the client holds none of it), and when the first arrived.
    private static async Task<(long Bytes, TimeSpan FirstByte)> ReadAllAsync(HttpClient client, string url)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long total = 0;
        var firstByte = TimeSpan.Zero;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            if (total == 0)
            {
                firstByte = Stopwatch.GetElapsedTime(started);
            }
            total += read;
        }
        return (total, firstByte);
    }
}
