using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Summaries;
using ZiggyCreatures.Caching.Fusion;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// The summary cache, applied once to the summaries' route group. It runs after the request has been
/// validated and authorized (<see cref="SummaryQueryFilter"/>), keys the entry by summary and normalized
/// query, and stores the exact response bytes, so a HIT returns the body a MISS returned.
/// FusionCache provides the rest: one compute per key under concurrency, memory + Redis levels, a circuit
/// breaker around Redis, and fail-safe (the last good value when the database fails).
/// </summary>
public sealed partial class SummaryCacheFilter(
    IFusionCache cache,
    SummaryCacheMetrics metrics,
    IOptions<SummaryCacheOptions> options,
    IOptions<JsonOptions> json,
    TimeProvider time,
    ILogger<SummaryCacheFilter> logger) : IEndpointFilter
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var query = SummaryQuery.From(context)
            ?? throw new InvalidOperationException(
                $"{nameof(SummaryCacheFilter)} must run after {nameof(SummaryQueryFilter)}, on a handler with a {nameof(SummaryQuery)} parameter.");
        var summary = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName
            ?? throw new InvalidOperationException("Every summary endpoint needs a name: it is the cache label.");
        var refresh = IsRefresh(http);

        var computed = false;
        var entry = await cache.GetOrSetAsync<CachedSummary>(
            SummaryCacheKey.For(summary, query),
            async (_, _) =>
            {
                computed = true;
                return await ComputeAsync(context, next, summary, query);
            },
            options: refresh ? RefreshEntryOptions() : null,
            token: http.RequestAborted);

        var result = IsStale(entry) ? CacheResult.Stale
            : !computed ? CacheResult.Hit
            : refresh ? CacheResult.Refresh
            : CacheResult.Miss;

        metrics.Lookup(summary, result);
        http.Response.Headers["X-Cache"] = result.Header;
        http.Features.Get<IHttpActivityFeature>()?.Activity.SetTag("cache.hit", result == CacheResult.Hit);
        return TypedResults.Bytes(entry.Body, JsonContentType);
    }

    private async Task<CachedSummary> ComputeAsync(
        EndpointFilterInvocationContext context, EndpointFilterDelegate next, string summary, SummaryQuery query)
    {
        var started = time.GetTimestamp();
        var result = await next(context);
        var elapsed = time.GetElapsedTime(started);

        metrics.Computed(summary, elapsed);
        if (elapsed >= options.Value.SlowComputeThreshold)
        {
            LogSlowCompute(summary, elapsed.TotalMilliseconds, query.AppId);
        }

        if (result is not IValueHttpResult { Value: { } value })
        {
            throw new InvalidOperationException($"Summary '{summary}' must return a typed Ok result to be cached.");
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), json.Value.SerializerOptions);
        return new CachedSummary(body, time.GetUtcNow());
    }

    // A value older than the TTL can only have come from fail-safe: the recompute failed.
    private bool IsStale(CachedSummary entry) => time.GetUtcNow() - entry.ComputedAt > options.Value.Ttl;

    /// <summary>
    /// The Prewarmer forces a recompute with <c>Cache-Control: no-cache</c> — honoured only for a token with
    /// the refresh scope, so dashboard traffic can never bypass the cache.
    /// </summary>
    private static bool IsRefresh(HttpContext http) =>
        http.User.HasRefreshScope()
        && http.Request.Headers.CacheControl.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase);

    private FusionCacheEntryOptions RefreshEntryOptions()
    {
        var refresh = cache.DefaultEntryOptions.Duplicate();
        refresh.SkipMemoryCacheRead = true;
        refresh.SkipDistributedCacheRead = true;
        return refresh;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slow summary compute: {Summary} took {ElapsedMs:F0} ms for app {AppId}")]
    private partial void LogSlowCompute(string summary, double elapsedMs, Guid appId);
}
