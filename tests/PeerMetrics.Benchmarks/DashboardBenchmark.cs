using System.Diagnostics;
using System.IO.Compression;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// The dashboard's page load: the eight summaries of one app for the default window, requested at once over at
/// most six connections (a browser's limit per host, kept alive between loads), Brotli or gzip accepted. Cold
/// loads ask for windows nobody cached (every request a miss); warm loads for the cached default window; a
/// revalidation load sends each summary's ETag from the warm load (<c>If-None-Match</c>), as a browser whose copy
/// is past its <c>max-age</c> does. Timed on an Api that exports nothing; which source answered, from cold loads
/// of the same kind on the Api exporting its spans.
/// </summary>
public static class DashboardBenchmark
{
    private const int BrowserConnections = 6;

    private sealed record Load(double Milliseconds, IReadOnlyList<Http.Fetched> Responses, IReadOnlyList<string?> Traces);

    public static async Task<int> RunAsync(double[] scales, int runs)
    {
        foreach (var scale in scales)
        {
            await using var seeded = await SeededApi.StartAsync(scale);
            await RunAsync(seeded, scale, runs);
        }
        return 0;
    }

    private static async Task RunAsync(SeededApi seeded, double scale, int runs)
    {
        var appId = seeded.App(0);
        var windowStart = ColdPathBenchmark.DefaultWindowStart();
        // The sources, from cold loads on the Api exporting its spans; the times, from an Api that exports nothing.
        var traced = await ColdLoadsAsync(seeded, appId, windowStart, Enumerable.Range(1, runs), trace: true);
        // Before the restart: the exporting Api's last batch leaves only after the loads.
        var breakdowns = await seeded.Traces.CollectAsync(traced.SelectMany(load => load.Traces).OfType<string>().ToList());
        await seeded.RestartWithoutExporterAsync();
        var cold = await ColdLoadsAsync(seeded, appId, windowStart, Enumerable.Range(runs + 1, runs), trace: false);
        using var browser = Http.Client(seeded.Api.Address, seeded.Token, BrowserConnections);
        await LoadAsync(browser, appId, windowStart.AddDays(-2), trace: false);
        // The first load of the default window computes it; the warm loads that follow hit it.
        var first = await LoadAsync(browser, appId, windowStart, trace: false, expect: "MISS");
        var warm = new List<Load>();
        for (var run = 0; run < runs; run++)
        {
            warm.Add(await LoadAsync(browser, appId, windowStart, trace: false, expect: "HIT"));
        }
        var etags = first.Responses.Select(response => response.ETag).ToList();
        var revalidated = new List<Load>();
        for (var run = 0; run < runs; run++)
        {
            revalidated.Add(await LoadAsync(browser, appId, windowStart, trace: false, expect: "HIT", etags));
        }
        if (revalidated.SelectMany(load => load.Responses).Any(response => response.Status != 304))
        {
            throw new InvalidOperationException("A revalidation with the warm load's ETag was not answered 304.");
        }

        // No write happened: every compute of the second Api found the rollups ready with nothing pending, as the first did.
        await seeded.WaitForRollupsAsync();
        Console.WriteLine();
        Console.WriteLine($"## Dashboard load, scale {scale}, app {appId}, default window: eight summaries at once over " +
                          $"{BrowserConnections} connections, Accept-Encoding: {Http.BrowserAcceptEncoding}, {runs} loads each");
        Console.WriteLine();
        Console.WriteLine("| load | page p50 ms | page p95 ms | page max ms | bodies on the wire per page (bytes) | answers |");
        Console.WriteLine("|---|---:|---:|---:|---:|---|");
        foreach (var (name, loads) in new[] { ("cold (every summary a miss)", cold), ("warm (every summary a hit)", warm), ("revalidation (If-None-Match)", revalidated) })
        {
            var pages = new Stats(loads.Select(load => load.Milliseconds));
            var answers = string.Join(", ", loads.SelectMany(load => load.Responses).GroupBy(response => $"{response.Status} {response.ContentEncoding ?? "identity"}")
                .Select(group => $"{group.Count()}× {group.Key}"));
            Console.WriteLine($"| {name} | {pages.P50:F1} | {pages.P95:F1} | {pages.Percentile(100):F1} | " +
                              $"{loads.Median(load => load.Responses.Sum(response => response.Body.Length)):F0} | {answers} |");
        }
        Console.WriteLine($"| uncompressed bodies, for comparison | | | | {first.Responses.Sum(response => Identity(response).Length)} | |");

        Console.WriteLine();
        Console.WriteLine($"### Per summary, scale {scale} (median over the loads; a request's time runs from the page's start, queueing for a connection included)");
        Console.WriteLine();
        Console.WriteLine("| summary | cold answered by | cold ms | warm ms | revalidation ms | body on the wire (br) bytes | uncompressed bytes |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        for (var i = 0; i < SummaryCatalog.All.Count; i++)
        {
            var index = i;
            var sources = Traces.Sources(traced.Select(load => load.Traces[index]), breakdowns, traced.Count);
            Console.WriteLine($"| {SummaryCatalog.All[i].Route} | {sources} | {cold.Median(load => load.Responses[index].Milliseconds):F1} | " +
                              $"{warm.Median(load => load.Responses[index].Milliseconds):F1} | {revalidated.Median(load => load.Responses[index].Milliseconds):F1} | " +
                              $"{first.Responses[index].Body.Length} | {Identity(first.Responses[index]).Length} |");
        }
    }

    /// <summary>Cold loads, each on the default window moved back by one of <paramref name="minutes"/>, after one that opens the connections.</summary>
    private static async Task<List<Load>> ColdLoadsAsync(SeededApi seeded, string appId, DateTime windowStart, IEnumerable<int> minutes, bool trace)
    {
        using var browser = Http.Client(seeded.Api.Address, seeded.Token, BrowserConnections);
        // Opens the six connections (and warms the JIT) on a window no timed load asks for.
        await LoadAsync(browser, appId, windowStart.AddDays(trace ? -1 : -3), trace: false);
        var loads = new List<Load>();
        foreach (var minute in minutes)
        {
            loads.Add(await LoadAsync(browser, appId, windowStart.AddMinutes(-minute), trace, expect: "MISS"));
        }
        return loads;
    }

    private static async Task<Load> LoadAsync(HttpClient browser, string appId, DateTime windowStart, bool trace, string? expect = null,
        IReadOnlyList<string?>? etags = null)
    {
        var started = Stopwatch.GetTimestamp();
        var answers = await Task.WhenAll(SummaryCatalog.All.Select(async (summary, i) =>
        {
            var (response, traceId) = await Http.FetchAsync(browser, ColdPathBenchmark.Url(summary, appId, windowStart), etags?[i], trace);
            // A request's time from the page's start: the page waits for the slowest.
            return (Response: response with { Milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds }, Trace: traceId);
        }));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (expect is not null && answers.FirstOrDefault(answer => answer.Response.Cache != expect) is { Response: not null } unexpected)
        {
            throw new InvalidOperationException($"A dashboard load expected every summary a {expect}, got {unexpected.Response.Cache}.");
        }
        return new Load(elapsed, [.. answers.Select(answer => answer.Response)], [.. answers.Select(answer => answer.Trace)]);
    }

    private static double Median<T>(this IEnumerable<T> values, Func<T, double> of) => new Stats(values.Select(of)).P50;

    private static byte[] Identity(Http.Fetched response)
    {
        if (response.ContentEncoding is null)
        {
            return response.Body;
        }
        using var input = new MemoryStream(response.Body);
        using Stream decoder = response.ContentEncoding == "br" ? new BrotliStream(input, CompressionMode.Decompress) : new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }
}
