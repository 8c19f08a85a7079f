using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Rollups;

namespace PeerMetrics.Testing;

/// <summary>
/// The one way tests start an Api: in-process, over a fresh migrated database of <paramref name="postgres"/>, with
/// a Redis, and collectors of its cache and rollups-read metrics.
/// </summary>
public sealed class TestApi : IAsyncDisposable
{
    private readonly MetricCollector<long> _lookups;
    private readonly MetricCollector<double> _computes;
    private readonly MetricCollector<long> _rollupsReads;

    private TestApi(ApiFactory factory, string connectionString)
    {
        Factory = factory;
        ConnectionString = connectionString;
        var meters = factory.Services.GetRequiredService<IMeterFactory>();
        _lookups = new(meters, SummaryCacheMetrics.MeterName, "peermetrics.summary.cache.lookups");
        _computes = new(meters, SummaryCacheMetrics.MeterName, "peermetrics.summary.compute.duration");
        _rollupsReads = new(meters, RollupsMonitor.MeterName, "peermetrics.rollups.reads");
    }

    public ApiFactory Factory { get; }

    /// <summary>The Api's database, for tests that add rows or look at them directly.</summary>
    public string ConnectionString { get; }

    public static async Task<TestApi> StartAsync(PostgresServer postgres, RedisServer redis,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var factory = new ApiFactory(connectionString, redis.ConnectionString, settings, services: services);
        factory.CreateClient().Dispose(); // starts the host: migrations run before any row is written
        return new TestApi(factory, connectionString);
    }

    /// <summary>Computes of a summary so far (cache misses and refreshes).</summary>
    public int Computes(string label) =>
        _computes.GetMeasurementSnapshot().Count(m => (string?)m.Tags["summary"] == label);

    /// <summary>Computes of every summary so far.</summary>
    public int Computes() => _computes.GetMeasurementSnapshot().Count;

    /// <summary>
    /// The <c>source</c> of every compute that asked for the rollups so far (rollups | rollups_after_catch_up |
    /// rollups_within_staleness | raw); none with <c>Rollups:Mode=off</c>, where computes read raw rows only.
    /// </summary>
    public IReadOnlyList<string?> RollupsReads() =>
        [.. _rollupsReads.GetMeasurementSnapshot().SelectMany(m => Enumerable.Repeat((string?)m.Tags["source"], (int)m.Value))];

    /// <summary>
    /// Waits until the rollups hold every change and the Api's monitor says they can serve; with a fake clock,
    /// moves it on by the maintainer's poll interval at each look, so the idle maintainer runs again.
    /// </summary>
    public async Task RollupsCurrentAsync()
    {
        var monitor = Factory.Services.GetRequiredService<RollupsMonitor>();
        await Responses.EventuallyAsync(async () =>
        {
            AdvanceOnePoll();
            await using var connection = await TestDatabase.OpenAsync(ConnectionString);
            return await TestDatabase.ScalarAsync<bool>(connection,
                "SELECT phase = 'ready' AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.change_log) FROM peermetrics_rollups.state")
                && monitor.CanServe();
        });
    }

    /// <summary>With a fake clock (a <see cref="FakeTimeProvider"/> registered by the test), moves it on by one maintainer poll interval.</summary>
    public void AdvanceOnePoll() =>
        (Factory.Services.GetRequiredService<TimeProvider>() as FakeTimeProvider)?.Advance(Factory.Services.GetRequiredService<IOptions<RollupsOptions>>().Value.PollInterval);

    public long Lookups(string label, string result) =>
        _lookups.GetMeasurementSnapshot()
            .Where(m => (string?)m.Tags["summary"] == label && (string?)m.Tags["cache.result"] == result)
            .Sum(m => m.Value);

    public async ValueTask DisposeAsync()
    {
        _lookups.Dispose();
        _computes.Dispose();
        _rollupsReads.Dispose();
        await Factory.DisposeAsync();
    }
}
