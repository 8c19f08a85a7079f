using Microsoft.Extensions.Options;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries;
using ZiggyCreatures.Caching.Fusion;

namespace PeerMetrics.Api.Caching;

/// <summary>What a lookup returned, and where it came from.</summary>
public readonly record struct SummaryLookup(CachedSummary Entry, CacheResult Result);

/// <summary>
/// The summary cache: one entry per summary and normalized query, holding the exact response bytes, so a HIT
/// returns the body a MISS returned. FusionCache provides the rest: one compute per key under concurrency,
/// memory + Redis levels, a circuit breaker around Redis, and fail-safe (the last good value while the database
/// cannot be reached; never after a failure that is a bug).
/// </summary>
public sealed class SummaryCache(
    IFusionCache cache,
    SummaryCacheMetrics metrics,
    IOptions<SummaryCacheOptions> options,
    TimeProvider time)
{
    /// <param name="refresh">Recompute and overwrite the entry instead of reading it (the Prewarmer's refresh).</param>
    public async Task<SummaryLookup> GetOrComputeAsync(
        SummaryDefinition summary, SummaryQuery query, bool refresh,
        Func<CancellationToken, Task<byte[]>> compute, CancellationToken cancellationToken)
    {
        var computed = false;
        var entry = await cache.GetOrSetAsync<CachedSummary>(
            SummaryCacheKey.For(summary.Label, query),
            async (context, token) =>
            {
                computed = true;
                try
                {
                    return new CachedSummary(await compute(token), time.GetUtcNow());
                }
                catch (Exception exception) when (!DatabaseFailure.IsUnreachable(exception))
                {
                    // A bug is not an outage: answer it as one, never hide it behind the last good value.
                    context.Options.IsFailSafeEnabled = false;
                    throw;
                }
            },
            options: refresh ? RefreshEntryOptions() : null,
            token: cancellationToken);

        var result = IsStale(entry) ? CacheResult.Stale
            : !computed ? CacheResult.Hit
            : refresh ? CacheResult.Refresh
            : CacheResult.Miss;
        metrics.Lookup(summary.Label, result);
        return new SummaryLookup(entry, result);
    }

    // A value older than the TTL can only have come from fail-safe: the recompute failed.
    private bool IsStale(CachedSummary entry) => time.GetUtcNow() - entry.ComputedAt > options.Value.Ttl;

    private FusionCacheEntryOptions RefreshEntryOptions()
    {
        var refresh = cache.DefaultEntryOptions.Duplicate();
        refresh.SkipMemoryCacheRead = true;
        refresh.SkipDistributedCacheRead = true;
        return refresh;
    }
}
