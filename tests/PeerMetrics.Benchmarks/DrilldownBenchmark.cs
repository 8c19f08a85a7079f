using System.Diagnostics;
using System.Text.Json.Nodes;
using PeerMetrics.Testing;

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
