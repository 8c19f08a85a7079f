using System.Diagnostics;
using System.Text.Json.Nodes;
using PeerMetrics.Testing;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// What a timed run starts from: its own Postgres and Redis, the demo data seeded at a scale, the real Api as a
/// process exporting its spans to a receiver of this process, and the rollups backfilled and current, so every
/// figure is measured on the source a deployed Api answers from.
/// </summary>
public sealed class SeededApi : IAsyncDisposable
{
    // Span batches leave the Api every 200 ms, so a run's spans have arrived soon after it.
    private static readonly TimeSpan ExportDelay = TimeSpan.FromMilliseconds(200);

    private SeededApi(PostgresServer postgres, RedisServer redis, OtlpTraceReceiver receiver, Dictionary<string, string> environment, JsonNode seed)
    {
        Postgres = postgres;
        Redis = redis;
        Traces = new Traces(receiver);
        Environment = environment;
        Seed = seed;
    }

    public PostgresServer Postgres { get; }
    public RedisServer Redis { get; }
    public Traces Traces { get; }
    public Dictionary<string, string> Environment { get; }
    public JsonNode Seed { get; }
    public ApiProcess Api { get; private set; } = null!;

    /// <summary>The seed's dashboard token (the organization of the seed's apps).</summary>
    public string Token => Seed["token"]!.GetValue<string>();

    /// <summary>The seed's <paramref name="index"/>th app (0: the dominant one).</summary>
    public string App(int index) => Seed["apps"]![index]!["id"]!.GetValue<string>();

    /// <summary>A token with the refresh scope (the Prewarmer's): it may force recomputes and read /health in detail.</summary>
    public string RefreshToken { get; } = ApiProcess.Tokens().CreateRefreshToken(TimeSpan.FromHours(1));

    /// <summary>
    /// Seeds <paramref name="scale"/>, runs <paramref name="prepare"/> on the seeded database, starts the Api and
    /// waits until its rollups are ready with nothing pending.
    /// </summary>
    public static async Task<SeededApi> StartAsync(double scale, Func<SeededApi, Task>? prepare = null)
    {
        var postgres = await PostgresServer.StartNewAsync();
        var redis = await RedisServer.StartNewAsync();
        var receiver = new OtlpTraceReceiver();
        var environment = ApiProcess.Environment(await postgres.CreateDatabaseAsync("peermetrics"), redis.ConnectionString);
        foreach (var (name, value) in receiver.ExporterEnvironment(ExportDelay))
        {
            environment[name] = value;
        }
        var clock = Stopwatch.StartNew();
        var seed = JsonNode.Parse(await ApiProcess.SeedAsync(environment, scale))!;
        Console.WriteLine($"Seeded scale {scale} in {clock.Elapsed.TotalSeconds:F1} s");
        var seeded = new SeededApi(postgres, redis, receiver, environment, seed);
        if (prepare is not null)
        {
            await prepare(seeded);
        }
        seeded.Api = await ApiProcess.StartAsync(environment, LocalProcess.FreePort());
        clock.Restart();
        await seeded.WaitForRollupsAsync();
        Console.WriteLine($"Rollups ready and current {clock.Elapsed.TotalSeconds:F1} s after the Api started");
        return seeded;
    }

    /// <summary>
    /// Replaces the Api by one that exports nothing (no OTLP endpoint, as deployed without a collector): under load
    /// the receiver of this process would share the cores with the Api and the load generator.
    /// </summary>
    public async Task RestartWithoutExporterAsync()
    {
        await Api.DisposeAsync();
        var environment = Environment.Where(variable => !variable.Key.StartsWith("OTEL_", StringComparison.Ordinal))
            .ToDictionary(variable => variable.Key, variable => variable.Value);
        Api = await ApiProcess.StartAsync(environment, LocalProcess.FreePort());
        await WaitForRollupsAsync();
    }

    /// <summary>Polls the Api's detailed /health until its rollups check reports phase ready and an empty backlog.</summary>
    public async Task WaitForRollupsAsync()
    {
        using var client = Http.Client(Api.Address, RefreshToken);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rollups = JsonNode.Parse(await client.GetStringAsync("/health"))!["checks"]?["rollups"]?["data"];
            if (rollups?["phase"]?.GetValue<string>() == "ready" && rollups["backlog"]?.GetValue<long>() == 0)
            {
                return;
            }
            if (deadline.Elapsed > TimeSpan.FromMinutes(30))
            {
                throw new TimeoutException($"The rollups were not ready after 30 minutes: {rollups?.ToJsonString()}");
            }
            await Task.Delay(500);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Traces.Receiver.DisposeAsync();
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
