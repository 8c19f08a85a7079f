using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PeerMetrics.Api.Caching;

namespace PeerMetrics.Testing;

/// <summary>
/// The one way tests start an Api: in-process, over a fresh migrated database of <paramref name="postgres"/>, with
/// a Redis, and collectors of its cache metrics.
/// </summary>
public sealed class TestApi : IAsyncDisposable
{
    private readonly MetricCollector<long> _lookups;
    private readonly MetricCollector<double> _computes;

    private TestApi(ApiFactory factory, string connectionString)
    {
        Factory = factory;
        ConnectionString = connectionString;
        var meters = factory.Services.GetRequiredService<IMeterFactory>();
        _lookups = new(meters, SummaryCacheMetrics.MeterName, "peermetrics.summary.cache.lookups");
        _computes = new(meters, SummaryCacheMetrics.MeterName, "peermetrics.summary.compute.duration");
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

    public long Lookups(string label, string result) =>
        _lookups.GetMeasurementSnapshot()
            .Where(m => (string?)m.Tags["summary"] == label && (string?)m.Tags["cache.result"] == result)
            .Sum(m => m.Value);

    public async ValueTask DisposeAsync()
    {
        _lookups.Dispose();
        _computes.Dispose();
        await Factory.DisposeAsync();
    }
}
