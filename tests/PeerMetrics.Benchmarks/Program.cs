using PeerMetrics.Api.Summaries.Definitions;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PeerMetrics.Benchmarks;
using PeerMetrics.Testing;

// dotnet run -c Release --project tests/PeerMetrics.Benchmarks -- [--scale 1] [--runs 25] [--load-seconds 10]
//     [--rollups [--scales 1,10]] [--drilldown [--scales 0.1,1]] [--drilldown-load [--concurrent 300]]
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
if (args.Contains("--drilldown"))
{
    return await DrilldownBenchmark.RunAsync(scales, runs);
}

var summaries = SummaryCatalog.All.Select(summary => summary.Route).ToList();

await using var postgres = await PostgresServer.StartNewAsync();
await using var redis = await RedisServer.StartNewAsync();
var environment = ApiProcess.Environment(await postgres.CreateDatabaseAsync("peermetrics"), redis.ConnectionString);

var seedClock = Stopwatch.StartNew();
var seed = JsonNode.Parse(await ApiProcess.SeedAsync(environment, scale))!;
Console.WriteLine($"Seeded scale {scale} in {seedClock.Elapsed.TotalSeconds:F1} s");
var token = seed["token"]!.GetValue<string>();
var appId = seed["apps"]![0]!["id"]!.GetValue<string>();
var tokens = ApiProcess.Tokens();
var refreshToken = tokens.CreateRefreshToken(TimeSpan.FromHours(1));
// A second tenant for the isolation run: the seed's second app, moved into an organization of its own.
var otherAppId = seed["apps"]![1]!["id"]!.GetValue<string>();
var otherOrganization = await TenantIsolation.MoveToNewOrganizationAsync(environment["ConnectionStrings__peermetrics"], Guid.Parse(otherAppId));

await using var api = await ApiProcess.StartAsync(environment, LocalProcess.FreePort());
using var dashboard = Http.Client(api.Address, token);
using var refresher = Http.Client(api.Address, refreshToken);
var window = $"created_at_gte={DateTime.UtcNow.AddDays(-30):yyyy-MM-ddTHH:mm:ss.fffZ}";

// Cold = a forced recompute (the cache is bypassed, the result still written); warm = a cache hit.
Console.WriteLine();
Console.WriteLine($"## Cold vs warm, app {appId}, one connection, {runs} runs each");
Console.WriteLine();
Console.WriteLine("| summary | cold p50 ms | cold p95 ms | cold p99 ms | warm p50 ms | warm p99 ms | cold/warm (p50) |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
var coldP99 = new Dictionary<string, double>();
foreach (var route in summaries)
{
    var url = $"{route}?appId={appId}&{window}";
    await Http.TimeAsync(dashboard, url, noCache: false); // connection + JIT warm-up
    var cold = new Stats(await RepeatAsync(runs, () => Http.TimeAsync(refresher, url, noCache: true)));
    var warm = new Stats(await RepeatAsync(Math.Max(runs, 200), () => Http.TimeAsync(dashboard, url, noCache: false)));
    coldP99[route] = cold.P99;
    Console.WriteLine($"| {route} | {cold.P50:F1} | {cold.P95:F1} | {cold.P99:F1} | {warm.P50:F2} | {warm.P99:F2} | {cold.P50 / warm.P50:F0}× |");
}
var allEight = new Stats(await RepeatAsync(runs, async () =>
{
    var started = Stopwatch.GetTimestamp();
    await Task.WhenAll(summaries.Select(route => Http.TimeAsync(dashboard, $"{route}?appId={appId}&{window}", noCache: false)));
    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}));
Console.WriteLine();
Console.WriteLine($"All eight warm, requested together like a dashboard page: p50 {allEight.P50:F2} ms, p99 {allEight.P99:F2} ms");

// Throughput under load, next to a constant-bytes endpoint of the same size served from this process.
var loadRoute = $"{SessionListSummary.Definition.Route}?appId={appId}&{window}";
var body = await dashboard.GetByteArrayAsync(loadRoute);
var constantPort = LocalProcess.FreePort();
var constant = ConstantServer.Start(constantPort, body);
Console.WriteLine();
Console.WriteLine($"## Load: wrk, 32 connections, {loadSeconds} s per run, body {body.Length} bytes, 3 interleaved rounds");
Console.WriteLine();
Console.WriteLine("| round | endpoint | requests/s | p50 ms | p99 ms | non-2xx |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|");
// Interleaved, so a drift in the machine's speed (shared cores) affects both endpoints alike.
var ratios = new List<double>();
for (var round = 1; round <= 3; round++)
{
    var constantResult = await Wrk.RunAsync(new Uri($"http://127.0.0.1:{constantPort}/constant"), null, 32, TimeSpan.FromSeconds(loadSeconds));
    // Refreshed just before, as the Prewarmer would: the entry must not expire inside the run.
    await Http.TimeAsync(refresher, loadRoute, noCache: true);
    var warmResult = await Wrk.RunAsync(new Uri(api.Address, loadRoute), token, 32, TimeSpan.FromSeconds(loadSeconds));
    Console.WriteLine($"| {round} | constant bytes (slim app, no auth) | {constantResult.RequestsPerSecond:F0} | {constantResult.P50Ms:F2} | {constantResult.P99Ms:F2} | {constantResult.Non2xx} |");
    Console.WriteLine($"| {round} | sessions summary, warm | {warmResult.RequestsPerSecond:F0} | {warmResult.P50Ms:F2} | {warmResult.P99Ms:F2} | {warmResult.Non2xx} |");
    ratios.Add(warmResult.RequestsPerSecond / constantResult.RequestsPerSecond);
}
await constant.StopAsync();
Console.WriteLine();
Console.WriteLine($"Throughput ratio warm/constant per round: {string.Join(", ", ratios.Select(r => r.ToString("F2")))}; median {ratios.Order().ElementAt(1):F2}");

await TenantIsolation.RunAsync(api.Address, token, appId,
    tokens.CreateOrganizationToken(otherOrganization, TimeSpan.FromHours(1)), otherAppId, runs);

// Redis down: every miss is computed; the circuit breaker must keep Redis timeouts off the request path.
await redis.StopAsync();
await Task.Delay(TimeSpan.FromSeconds(1));
Console.WriteLine();
Console.WriteLine($"## Redis stopped: cache misses (new windows), {runs} runs each");
Console.WriteLine();
Console.WriteLine("| summary | p50 ms | p99 ms | cold p99 ms (Redis up) | Δ p99 ms |");
Console.WriteLine("|---|---:|---:|---:|---:|");
var minute = 0;
foreach (var route in summaries)
{
    var down = new Stats(await RepeatAsync(runs, () =>
        Http.TimeAsync(dashboard, $"{route}?appId={appId}&created_at_gte={DateTime.UtcNow.AddDays(-30).AddMinutes(-++minute):yyyy-MM-ddTHH:mm}Z", noCache: false)));
    Console.WriteLine($"| {route} | {down.P50:F1} | {down.P99:F1} | {coldP99[route]:F1} | {down.P99 - coldP99[route]:+0.0;-0.0} |");
}
return 0;

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
