using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// Cold against warm per summary, one connection, requests one at a time as a browser sends them (Brotli or gzip
/// accepted). Cold = a cache miss: a window nobody asked for (the default window moved back by whole minutes), so
/// the request passes every stage a dashboard's first request does; warm = a hit on the default window. Measured
/// twice: on the Api exporting its spans, each cold request traced (its stages and the source that answered), then
/// on one that exports nothing (the times of the first table). Each Api's code is warmed up first (untimed).
/// </summary>
public static class ColdPathBenchmark
{
    /// <summary>Prints the cold/warm and stage tables; returns each summary's cold p99 (ms) by route.</summary>
    public static async Task<Dictionary<string, double>> RunAsync(SeededApi seeded, string appId, int runs)
    {
        var windowStart = DefaultWindowStart();
        var shift = 0;
        // First on the Api that exports its spans (the stage table), then, timed again, on one that exports nothing:
        // the receiver in this process would share the cores with the Api.
        await WarmUpAsync(seeded, appId, windowStart, () => ++shift);
        var traced = await MeasureAsync(seeded, appId, runs, windowStart, () => ++shift, trace: true);
        // Before the restart: the exporting Api's last batch leaves only after the requests.
        var breakdowns = await seeded.Traces.CollectAsync(traced.SelectMany(row => row.Traces).ToList());
        await seeded.RestartWithoutExporterAsync();
        await WarmUpAsync(seeded, appId, windowStart, () => ++shift);
        var rows = await MeasureAsync(seeded, appId, runs, windowStart, () => ++shift, trace: false);
        // No write happened: every compute of the second Api found the rollups ready with nothing pending, as the first did.
        await seeded.WaitForRollupsAsync();
        Console.WriteLine();
        Console.WriteLine($"## Cold vs warm, app {appId}, one connection, Accept-Encoding: {Http.BrowserAcceptEncoding}; " +
                          $"{runs} cold (cache misses), {Math.Max(runs, 200)} warm (hits) per summary");
        Console.WriteLine();
        Console.WriteLine("| summary | cold answered by | cold p50 ms | cold p95 ms | warm p50 ms | warm p99 ms | cold/warm (p50) | cold p50 ms, exporting spans | body on the wire (br) bytes |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (row, tracedRow) in rows.Zip(traced))
        {
            var sources = Traces.Sources(tracedRow.Traces, breakdowns, tracedRow.Traces.Count);
            Console.WriteLine($"| {row.Summary.Route} | {sources} | {row.Cold.P50:F2} | {row.Cold.P95:F2} | {row.Warm.P50:F2} | {row.Warm.P99:F2} | " +
                              $"{row.Cold.P50 / row.Warm.P50:F1}× | {tracedRow.Cold.P50:F2} | {row.Bytes} |");
        }

        Console.WriteLine();
        Console.WriteLine("## Where a cold request's time goes: median ms per stage (the Api's spans), the requests exporting spans");
        Console.WriteLine();
        Console.WriteLine($"| summary | {string.Join(" | ", Traces.Stages.Select(stage => stage.Column))} | request span, no stage | HTTP outside the request span | cold p50 (client) | of SQL: before the statement is sent |");
        Console.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---:|", Traces.Stages.Count + 4))}");
        foreach (var row in traced)
        {
            var requests = row.Traces.Select((trace, i) => (Breakdown: breakdowns.GetValueOrDefault(trace), Client: row.Client[i]))
                .Where(request => request.Breakdown is not null).ToList();
            string Median(Func<(Traces.Breakdown? Breakdown, double Client), double> of) => new Stats(requests.Select(of)).P50.ToString("F2");
            var stages = Traces.Stages.Select(stage => Median(request => request.Breakdown!.Stages[stage.Span].TotalMilliseconds));
            Console.WriteLine($"| {row.Summary.Route} | {string.Join(" | ", stages)} | {Median(request => request.Breakdown!.Unstaged.TotalMilliseconds)} | " +
                              $"{Median(request => request.Client - request.Breakdown!.Server.TotalMilliseconds)} | {row.Cold.P50:F2} | " +
                              $"{Median(request => request.Breakdown!.BeforeStatement.TotalMilliseconds)} |");
        }
        return rows.ToDictionary(row => row.Summary.Route, row => row.Cold.P99);
    }

    /// <summary>
    /// Runs every summary's cold and warm path untimed, <see cref="WarmUpRequests"/> times each, then waits for the
    /// JIT's background recompilation: a fresh process runs its first calls of a method unoptimized, and a serving
    /// Api (the Prewarmer recomputes all the time) has long since optimized them.
    /// </summary>
    private static async Task WarmUpAsync(SeededApi seeded, string appId, DateTime windowStart, Func<int> nextShift)
    {
        using var client = Http.Client(seeded.Api.Address, seeded.Token, 1);
        foreach (var summary in SummaryCatalog.All)
        {
            for (var run = 0; run < WarmUpRequests; run++)
            {
                await Http.FetchAsync(client, Url(summary, appId, windowStart.AddMinutes(-nextShift())));
                await Http.FetchAsync(client, Url(summary, appId, windowStart));
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
    }

    private const int WarmUpRequests = 40;

    private sealed record Row(SummaryDefinition Summary, Stats Cold, Stats Warm, int Bytes, List<string> Traces, List<double> Client);

    private static async Task<List<Row>> MeasureAsync(SeededApi seeded, string appId, int runs, DateTime windowStart, Func<int> nextShift, bool trace)
    {
        using var client = Http.Client(seeded.Api.Address, seeded.Token, 1);
        var rows = new List<Row>();
        foreach (var summary in SummaryCatalog.All)
        {
            var warmUrl = Url(summary, appId, windowStart);
            var (first, _) = await Http.FetchAsync(client, warmUrl); // the default window cached; connection and JIT warm
            var traces = new List<string>();
            var cold = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                var (response, traceId) = await Http.FetchAsync(client, Url(summary, appId, windowStart.AddMinutes(-nextShift())), trace: trace);
                Expect(response, "MISS", summary);
                if (traceId is not null)
                {
                    traces.Add(traceId);
                }
                cold.Add(response.Milliseconds);
            }
            var warm = new List<double>();
            for (var run = 0; run < Math.Max(runs, 200); run++)
            {
                var (response, _) = await Http.FetchAsync(client, warmUrl);
                Expect(response, "HIT", summary);
                warm.Add(response.Milliseconds);
            }
            rows.Add(new Row(summary, new Stats(cold), new Stats(warm), first.Body.Length, traces, cold));
        }
        return rows;
    }

    /// <summary>The dashboard's default window: the last 30 days, to the minute.</summary>
    public static DateTime DefaultWindowStart()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, DateTimeKind.Utc).AddDays(-30);
    }

    public static string Url(SummaryDefinition summary, string appId, DateTime windowStart) =>
        $"{summary.Route}?appId={appId}&created_at_gte={windowStart:yyyy-MM-ddTHH:mm}Z";

    private static void Expect(Http.Fetched response, string cache, SummaryDefinition summary)
    {
        if (response.Cache != cache)
        {
            throw new InvalidOperationException($"{summary.Route}: expected a {cache}, got {response.Cache}");
        }
    }
}
