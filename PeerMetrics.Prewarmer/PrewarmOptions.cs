namespace PeerMetrics.Prewarmer;

/// <summary>Prewarm settings, bound from the <c>Prewarm</c> section (env <c>Prewarm__Interval</c>, …).</summary>
public sealed class PrewarmOptions
{
    public const string SectionName = "Prewarm";

    /// <summary>
    /// Time between cycle starts. Must stay below the Api's summary TTL (60 s) by more than a cycle's
    /// duration, so every entry is rewritten before it expires.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An app is warmed while it has an active conference created within this span.</summary>
    public TimeSpan ActiveWithin { get; set; } = TimeSpan.FromDays(2);

    /// <summary>The dashboard's default window: <c>created_at_gte = now − 30 days</c>, no upper bound.</summary>
    public TimeSpan DefaultWindow { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Refresh requests in flight at once, across all apps: bounds the load one cycle puts on Postgres.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Refreshes slower than this are logged as warnings.</summary>
    public TimeSpan SlowRefreshThreshold { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Timeout of one HTTP attempt against the Api (one retry follows a transient failure).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The lease outlives a cycle's period by this much, so a holder that renews on time keeps it, and a dead
    /// holder's lease expires about one interval after its last renewal.
    /// </summary>
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a replica without the lease (or after a failed cycle) tries again.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Redis key of the lease that makes one replica run each cycle.</summary>
    public string LeaseKey { get; set; } = "prewarm:lease";

    /// <summary>
    /// The Api's base address. The default resolves through service discovery (<c>services:api:http:0</c>,
    /// set by the AppHost, or by hand as env <c>services__api__http__0</c> when run standalone).
    /// </summary>
    public Uri ApiBaseAddress { get; set; } = new("https+http://api");

    public TimeSpan LeaseDuration => Interval + LeaseMargin;
}
