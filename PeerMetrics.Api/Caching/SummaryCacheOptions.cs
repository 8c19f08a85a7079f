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

    /// <summary>After a Redis failure, Redis is skipped for this long so requests pay no timeout tax.</summary>
    public TimeSpan RedisCircuitBreakerDuration { get; set; } = TimeSpan.FromSeconds(5);
}
