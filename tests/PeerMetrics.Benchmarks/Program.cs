using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PeerMetrics.Api.Summaries.Definitions;
using PeerMetrics.Benchmarks;
using PeerMetrics.Testing;

// dotnet run -c Release --project tests/PeerMetrics.Benchmarks -- [--scale 1] [--runs 25] [--load-seconds 10]
//     [--dashboard [--scales 1,10]] [--rollups [--scales 1,10]] [--drilldown [--scales 0.1,1]] [--drilldown-load [--concurrent 300]]
// Starts its own Postgres and Redis, seeds, runs the real Api as a process and prints markdown tables.
var scale = Argument("--scale", 1.0);
var runs = (int)Argument("--runs", 25);
var loadSeconds = (int)Argument("--load-seconds", 10);
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var scales = args.SkipWhile(a => a != "--scales").Skip(1).FirstOrDefault()?.Split(',').Select(double.Parse).ToArray() ?? [scale];
if (args.Contains("--rollups"))
{
    return await RollupsBenchmark.RunAsync(scales, runs);
}
if (args.Contains("--drilldown-load"))
{
    return await DrilldownBenchmark.RunLoadAsync(scale, (int)Argument("--concurrent", 300), runs);
}
if (args.Contains("--dashboard"))
{
    return await DashboardBenchmark.RunAsync(scales, runs);
}
if (args.Contains("--drilldown"))
{
    return await DrilldownBenchmark.RunAsync(scales, runs);
}

// The default run, at one scale: cold path, warm throughput, tenant isolation, Redis stopped.
Guid otherOrganization = default;
// A second tenant for the isolation run: the seed's second app, moved into an organization of its own.
await using var seeded = await SeededApi.StartAsync(scale, async seeded =>
    otherOrganization = await TenantIsolation.MoveToNewOrganizationAsync(seeded.Environment["ConnectionStrings__peermetrics"], Guid.Parse(seeded.App(1))));
var appId = seeded.App(0);
// It leaves the Api running without an exporter, as the load phase wants it.
var coldP99 = await ColdPathBenchmark.RunAsync(seeded, appId, runs);
var api = seeded.Api;

// Throughput under load, next to a constant-bytes endpoint that sends the same bytes and headers, served from this process.
using var refresher = Http.Client(api.Address, seeded.RefreshToken);
var loadRoute = ColdPathBenchmark.Url(SummaryCatalog.All.Single(summary => summary.Label == "sessions.summary"), appId,
    ColdPathBenchmark.DefaultWindowStart());
await Http.TimeAsync(refresher, loadRoute, noCache: true);
var (sample, constantHeaders) = await ResponseAsync(seeded.Token, loadRoute);
var constantPort = LocalProcess.FreePort();
var constant = ConstantServer.Start(constantPort, sample, constantHeaders);
Console.WriteLine();
Console.WriteLine($"## Load: wrk, 32 connections, {loadSeconds} s per run, Accept-Encoding: {Http.BrowserAcceptEncoding}, body on the wire " +
                  $"{sample.Length} bytes ({constantHeaders["Content-Encoding"]}), 3 interleaved rounds");
Console.WriteLine();
Console.WriteLine("| round | endpoint | requests/s | p50 ms | p99 ms | non-2xx | server CPU µs per request |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
// Interleaved, so a drift in the machine's speed (shared cores) affects both endpoints alike.
var ratios = new List<double>();
for (var round = 1; round <= 3; round++)
{
    // The constant server runs in this process: its processor time is this process's during the run.
    var constantCpu = Process.GetCurrentProcess().TotalProcessorTime;
    var constantResult = await Wrk.RunAsync(new Uri($"http://127.0.0.1:{constantPort}/constant"), null, 32, TimeSpan.FromSeconds(loadSeconds),
        Http.BrowserAcceptEncoding);
    constantCpu = Process.GetCurrentProcess().TotalProcessorTime - constantCpu;
    // Refreshed just before, as the Prewarmer would: the entry must not expire inside the run.
    await Http.TimeAsync(refresher, loadRoute, noCache: true);
    var warmCpu = api.ProcessorTime;
    var warmResult = await Wrk.RunAsync(new Uri(api.Address, loadRoute), seeded.Token, 32, TimeSpan.FromSeconds(loadSeconds), Http.BrowserAcceptEncoding);
    warmCpu = api.ProcessorTime - warmCpu;
    Console.WriteLine($"| {round} | constant bytes (slim app, no auth) | {constantResult.RequestsPerSecond:F0} | {constantResult.P50Ms:F2} | {constantResult.P99Ms:F2} | {constantResult.Non2xx} | " +
                      $"{constantCpu.TotalMicroseconds / (constantResult.RequestsPerSecond * loadSeconds):F0} |");
    Console.WriteLine($"| {round} | sessions summary, warm | {warmResult.RequestsPerSecond:F0} | {warmResult.P50Ms:F2} | {warmResult.P99Ms:F2} | {warmResult.Non2xx} | " +
                      $"{warmCpu.TotalMicroseconds / (warmResult.RequestsPerSecond * loadSeconds):F0} |");
    ratios.Add(warmResult.RequestsPerSecond / constantResult.RequestsPerSecond);
}
await constant.StopAsync();
Console.WriteLine();
Console.WriteLine($"Throughput ratio warm/constant per round: {string.Join(", ", ratios.Select(r => r.ToString("F2")))}; median {ratios.Order().ElementAt(1):F2}");

await TenantIsolation.RunAsync(api.Address, seeded.Token, appId,
    ApiProcess.Tokens().CreateOrganizationToken(otherOrganization, TimeSpan.FromHours(1)), seeded.App(1), runs);

// Redis down: every miss is computed; the circuit breaker must keep Redis timeouts off the request path.
await seeded.Redis.StopAsync();
await Task.Delay(TimeSpan.FromSeconds(1));
Console.WriteLine();
Console.WriteLine($"## Redis stopped: cache misses (new windows), {runs} runs each");
Console.WriteLine();
Console.WriteLine("| summary | p50 ms | p99 ms | cold p99 ms (Redis up) | Δ p99 ms |");
Console.WriteLine("|---|---:|---:|---:|---:|");
using var dashboard = Http.Client(api.Address, seeded.Token, 1);
var minute = 0;
foreach (var summary in SummaryCatalog.All)
{
    var down = new Stats(await RepeatAsync(runs, async () =>
        (await Http.FetchAsync(dashboard, ColdPathBenchmark.Url(summary, appId, ColdPathBenchmark.DefaultWindowStart().AddDays(-1).AddMinutes(-++minute)))).Response.Milliseconds));
    Console.WriteLine($"| {summary.Route} | {down.P50:F1} | {down.P99:F1} | {coldP99[summary.Route]:F1} | {down.P99 - coldP99[summary.Route]:+0.0;-0.0} |");
}
return 0;

// A warm response as wrk will get it: its body on the wire and the headers the Api sent with it.
async Task<(byte[] Body, Dictionary<string, string> Headers)> ResponseAsync(string token, string url)
{
    using var client = Http.Client(api.Address, token, 1);
    using var request = new HttpRequestMessage(HttpMethod.Get, url);
    request.Headers.TryAddWithoutValidation("Accept-Encoding", Http.BrowserAcceptEncoding);
    using var response = await client.SendAsync(request);
    var headers = response.Headers.Concat(response.Content.Headers)
        .Where(header => header.Key is "ETag" or "Vary" or "Cache-Control" or "X-Cache" or "Content-Encoding")
        .ToDictionary(header => header.Key, header => string.Join(", ", header.Value));
    return (await response.Content.ReadAsByteArrayAsync(), headers);
}

static async Task<List<double>> RepeatAsync(int count, Func<Task<double>> measure)
{
    var samples = new List<double>(count);
    for (var i = 0; i < count; i++)
    {
        samples.Add(await measure());
    }
    return samples;
}

double Argument(string name, double fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? double.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
