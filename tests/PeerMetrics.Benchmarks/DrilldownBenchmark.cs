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
        Console.WriteLine($"## Unpaged drill-down of the dominant app, one request at a time, {runs} runs per scale");
        Console.WriteLine();
        Console.WriteLine("| scale | rows | body MB | p50 s | RSS before MB | peak RSS during MB | peak − before MB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var scale in scales)
        {
            var environment = ApiProcess.Environment(await postgres.CreateDatabaseAsync());
            // The list reads raw rows; rollups would only add their backfill to the measurement.
            environment["Rollups__Mode"] = "off";
            var seed = JsonNode.Parse(await ApiProcess.SeedAsync(environment, scale))!;
            var token = seed["token"]!.GetValue<string>();
            var appId = seed["apps"]![0]!["id"]!.GetValue<string>();
            await using var api = await ApiProcess.StartAsync(environment, LocalProcess.FreePort());
            using var client = Http.Client(api.Address, token);
            var rows = JsonNode.Parse(await client.GetStringAsync($"/v1/conferences?appId={appId}&limit=1"))!["count"]!.GetValue<long>();
            await ReadAllAsync(client, $"/v1/conferences?appId={appId}"); // JIT and pools warmed

            var durations = new List<double>();
            long bytes = 0, before = 0, peak = 0;
            for (var run = 0; run < runs; run++)
            {
                GC.Collect();
                var (resident, _) = api.Memory();
                api.ResetPeakMemory();
                var started = Stopwatch.GetTimestamp();
                bytes = await ReadAllAsync(client, $"/v1/conferences?appId={appId}");
                durations.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                before = Math.Max(before, resident);
                peak = Math.Max(peak, api.Memory().Peak);
            }
            var p50 = new Stats(durations).P50;
            Console.WriteLine($"| {scale} | {rows} | {bytes / 1e6:F1} | {p50:F2} | {before / 1e6:F0} | {peak / 1e6:F0} | {(peak - before) / 1e6:F0} |");
        }
        return 0;
    }

    // Counts the body's bytes as they arrive: the client holds none of it.
    private static async Task<long> ReadAllAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }
        return total;
    }
}
