using Microsoft.Extensions.Options;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries.Definitions;
using ZiggyCreatures.Caching.Fusion;

namespace PeerMetrics.Api.Caching;

/// <summary>What a lookup returned, and where it came from.</summary>
public readonly record struct SummaryLookup(CachedSummary Entry, CacheResult Result);

/// <summary>
/// The summary cache: one entry per summary and normalized query, holding the response bytes as they go on the
/// wire (<see cref="CachedSummary"/>), so a HIT returns the bytes a MISS returned. FusionCache provides the rest: one compute per key under concurrency,
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
    /// <remarks>
    /// A lookup that computed records its stages around the compute as spans: <c>summary.cache.lookup</c> (up to the
    /// compute: memory, Redis, the per-key lock) and <c>summary.cache.write</c> (after it). A hit records none: it is
    /// one short stage, already told by the request span's <c>cache.hit</c>, and spans would cost it a measurable share.
    /// </remarks>
    public async ValueTask<SummaryLookup> GetOrComputeAsync(
        SummaryDefinition summary, SummaryQuery query, bool refresh,
        Func<CancellationToken, Task<CachedSummary>> compute, CancellationToken cancellationToken)
    {
        var lookupStarted = DateTime.UtcNow;
        DateTime computeStarted = default, computeEnded = default;
        var computed = false;
        var entry = await cache.GetOrSetAsync<CachedSummary>(
            SummaryCacheKey.For(summary.Label, query),
            async (context, token) =>
            {
                computed = true;
                computeStarted = DateTime.UtcNow;
                try
                {
                    return await compute(token);
                }
                catch (Exception exception) when (!DatabaseFailure.IsUnreachable(exception))
                {
                    // A bug is not an outage: answer it as one, never hide it behind the last good value.
                    context.Options.IsFailSafeEnabled = false;
                    throw;
                }
                finally
                {
                    computeEnded = DateTime.UtcNow;
                }
            },
            options: refresh ? RefreshEntryOptions() : null,
            token: cancellationToken);

        if (computed)
        {
            ApiTelemetry.Stage("summary.cache.lookup", lookupStarted, computeStarted);
            ApiTelemetry.Stage("summary.cache.write", computeEnded, DateTime.UtcNow);
        }
        var result = IsStale(entry) ? CacheResult.Stale
            : !computed ? CacheResult.Hit
            : refresh ? CacheResult.Refresh
            : CacheResult.Miss;
        metrics.Lookup(summary.Label, result);
        return new SummaryLookup(entry, result);
    }

    /// <summary>
    /// How long a browser may keep <paramref name="entry"/> without asking again: what is left of its TTL, in
    /// whole seconds; nothing once the TTL has passed (a value served by fail-safe).
    /// </summary>
    public TimeSpan RemainingFreshness(CachedSummary entry)
    {
        var remaining = options.Value.Ttl - (time.GetUtcNow() - entry.ComputedAt);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
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
