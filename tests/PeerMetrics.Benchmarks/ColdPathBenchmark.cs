using PeerMetrics.Api.Summaries;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// Cold against warm per summary, one connection, requests one at a time as a browser sends them (Brotli or gzip
/// accepted). Cold = a cache miss: a window nobody asked for (the default window moved back by whole minutes), so
/// the request passes every stage a dashboard's first request does; warm = a hit on the default window. Each cold
/// request is traced, and the Api's spans give its stages.
/// </summary>
public static class ColdPathBenchmark
{
    /// <summary>Prints the cold/warm and stage tables; returns each summary's cold p99 (ms) by route.</summary>
    public static async Task<Dictionary<string, double>> RunAsync(SeededApi seeded, string appId, int runs)
    {
        using var client = Http.Client(seeded.Api.Address, seeded.Token, 1);
        var windowStart = DefaultWindowStart();
        var shift = 0;
        var rows = new List<(SummaryDefinition Summary, Stats Cold, Stats Warm, int Bytes, List<string> Traces, List<double> Client)>();
        foreach (var summary in SummaryCatalog.All)
        {
            var warmUrl = Url(summary, appId, windowStart);
            var (first, _) = await Http.FetchAsync(client, warmUrl); // the default window cached; connection and JIT warm
            var traces = new List<string>();
            var cold = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                var (response, trace) = await Http.FetchAsync(client, Url(summary, appId, windowStart.AddMinutes(-++shift)), trace: true);
                Expect(response, "MISS", summary);
                traces.Add(trace!);
                cold.Add(response.Milliseconds);
            }
            var warm = new List<double>();
            for (var run = 0; run < Math.Max(runs, 200); run++)
            {
                var (response, _) = await Http.FetchAsync(client, warmUrl);
                Expect(response, "HIT", summary);
                warm.Add(response.Milliseconds);
            }
            rows.Add((summary, new Stats(cold), new Stats(warm), first.Body.Length, traces, cold));
        }

        var breakdowns = await seeded.Traces.CollectAsync(rows.SelectMany(row => row.Traces).ToList());
        Console.WriteLine();
        Console.WriteLine($"## Cold vs warm, app {appId}, one connection, Accept-Encoding: {Http.BrowserAcceptEncoding}; " +
                          $"{runs} cold (cache misses), {Math.Max(runs, 200)} warm (hits) per summary");
        Console.WriteLine();
        Console.WriteLine("| summary | cold answered by | cold p50 ms | cold p95 ms | warm p50 ms | warm p99 ms | cold/warm (p50) | body on the wire (br) bytes |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var sources = string.Join(", ", row.Traces.Where(breakdowns.ContainsKey).GroupBy(trace => breakdowns[trace].Source)
                .Select(group => $"{group.Key} {group.Count()}/{row.Traces.Count}"));
            Console.WriteLine($"| {row.Summary.Route} | {sources} | {row.Cold.P50:F2} | {row.Cold.P95:F2} | {row.Warm.P50:F2} | {row.Warm.P99:F2} | " +
                              $"{row.Cold.P50 / row.Warm.P50:F1}× | {row.Bytes} |");
        }

        Console.WriteLine();
        Console.WriteLine("## Where a cold request's time goes: median ms per stage (the Api's spans), same requests");
        Console.WriteLine();
        Console.WriteLine($"| summary | {string.Join(" | ", Traces.Stages.Select(stage => stage.Column))} | request span, no stage | HTTP outside the request span | cold p50 (client) | of SQL: before the statement is sent |");
        Console.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---:|", Traces.Stages.Count + 4))}");
        foreach (var row in rows)
        {
            var traced = row.Traces.Select((trace, i) => (Breakdown: breakdowns.GetValueOrDefault(trace), Client: row.Client[i]))
                .Where(request => request.Breakdown is not null).ToList();
            string Median(Func<(Traces.Breakdown? Breakdown, double Client), double> of) => new Stats(traced.Select(of)).P50.ToString("F2");
            var stages = Traces.Stages.Select(stage => Median(request => request.Breakdown!.Stages[stage.Span].TotalMilliseconds));
            Console.WriteLine($"| {row.Summary.Route} | {string.Join(" | ", stages)} | {Median(request => request.Breakdown!.Unstaged.TotalMilliseconds)} | " +
                              $"{Median(request => request.Client - request.Breakdown!.Server.TotalMilliseconds)} | {row.Cold.P50:F2} | " +
                              $"{Median(request => request.Breakdown!.BeforeStatement.TotalMilliseconds)} |");
        }
        return rows.ToDictionary(row => row.Summary.Route, row => row.Cold.P99);
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
