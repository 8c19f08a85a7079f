using System.Diagnostics.Metrics;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// Cache telemetry with low-cardinality tags only: the summary label and the lookup result. Never a cache
/// key or an app id.
/// </summary>
public sealed class SummaryCacheMetrics
{
    public const string MeterName = "PeerMetrics.Api.SummaryCache";

    private readonly Counter<long> _lookups;
    private readonly Histogram<double> _computeDuration;
    private readonly Counter<long> _rejected;

    public SummaryCacheMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _lookups = meter.CreateCounter<long>("peermetrics.summary.cache.lookups", unit: "{lookup}",
            description: "Summary requests by cache result (hit, miss, stale, refresh).");
        _computeDuration = meter.CreateHistogram<double>("peermetrics.summary.compute.duration", unit: "s",
            description: "Time to compute a summary in Postgres (cache misses and refreshes).");
        _rejected = meter.CreateCounter<long>("peermetrics.summary.compute.rejected", unit: "{request}",
            description: "Summary requests refused with 429 because their organization's compute bound was reached.");
    }

    public void Lookup(string summary, CacheResult result) =>
        _lookups.Add(1, new("summary", summary), new("cache.result", result.Tag));

    public void Rejected(string summary) => _rejected.Add(1, new KeyValuePair<string, object?>("summary", summary));

    public void Computed(string summary, TimeSpan elapsed) =>
        _computeDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("summary", summary));
}

/// <summary>What a summary response was served from; also the <c>X-Cache</c> header value.</summary>
public sealed record CacheResult(string Tag, string Header)
{
    public static readonly CacheResult Hit = new("hit", "HIT");
    public static readonly CacheResult Miss = new("miss", "MISS");
    public static readonly CacheResult Stale = new("stale", "STALE");
    // A forced recompute by the Prewarmer; kept apart so it does not skew the dashboard's hit ratio.
    public static readonly CacheResult Refresh = new("refresh", "MISS");
}
