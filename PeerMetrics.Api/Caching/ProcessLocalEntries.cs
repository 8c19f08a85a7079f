using ZiggyCreatures.Caching.Fusion;

namespace PeerMetrics.Api.Caching;

public static class ProcessLocalEntries
{
    /// <summary>
    /// Entry options for facts kept in this process's memory only (never in Redis, no backplane message): app
    /// ownership, organization activity, checked sessions. Cheap to recompute, and a warm request must not wait on
    /// Redis for them.
    /// </summary>
    public static FusionCacheEntryOptions ProcessLocalOptions(this IFusionCache cache, TimeSpan duration)
    {
        var options = cache.DefaultEntryOptions.Duplicate(duration).SetSkipDistributedCache(true, true);
        options.SkipBackplaneNotifications = true;
        return options;
    }
}
