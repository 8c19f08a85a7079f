namespace PeerMetrics.Api.Caching;

/// <summary>Summary cache settings, bound from the <c>SummaryCache</c> section (env <c>SummaryCache__Ttl</c>, …).</summary>
public sealed class SummaryCacheOptions
{
    public const string SectionName = "SummaryCache";

    /// <summary>How long a computed summary is served as a HIT before it is recomputed.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long past its TTL a summary may still be served (as STALE) while the database is failing.</summary>
    public TimeSpan FailSafeMaxDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Computes slower than this are logged as warnings.</summary>
    public TimeSpan SlowComputeThreshold { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Prefix of every Redis key and of the backplane channel (default <c>peermetrics:v2:</c>: the application and
    /// the body format version). Environments sharing a Redis must use different prefixes. The Prewarmer reads
    /// the same setting for its lease key.
    /// </summary>
    public string KeyPrefix { get; set; } = Microsoft.Extensions.Hosting.RedisExtensions.DefaultKeyPrefix;

    /// <summary>
    /// The most entries the in-process memory level holds (summaries, app ownership, organization flags, session
    /// checks: each counts 1). Past it new entries are not kept in memory (they are still served, and summaries
    /// still reach Redis) until expiry and compaction make room, so unknown appIds and many windows cannot grow
    /// the process without bound.
    /// </summary>
    public int MaxMemoryEntries { get; set; } = 10_000;

    /// <summary>After a Redis failure, Redis is skipped for this long so requests pay no timeout tax.</summary>
    public TimeSpan RedisCircuitBreakerDuration { get; set; } = TimeSpan.FromSeconds(5);
}
