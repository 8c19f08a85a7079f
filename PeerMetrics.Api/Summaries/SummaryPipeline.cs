using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Problems;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Tokens;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// Every summary request, in order: parse and validate → tenant check → cache → compute → bytes. Each step
/// takes what the one before produced, so nothing below sees a bad or foreign request, and a cache key always
/// describes exactly what was computed.
/// </summary>
public sealed partial class SummaryPipeline(
    AppDirectory apps,
    SummaryCache cache,
    ComputeLimiter limiter,
    SummaryDatabase database,
    RollupsMonitor rollups,
    RollupsShadow shadow,
    IOptions<RollupsOptions> rollupsOptions,
    SummaryCacheMetrics metrics,
    IOptions<SummaryCacheOptions> cacheOptions,
    IOptions<JsonOptions> json,
    TimeProvider time,
    ILogger<SummaryPipeline> logger)
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public async Task<Results<FileContentHttpResult, ProblemHttpResult>> HandleAsync(SummaryDefinition summary, HttpContext http)
    {
        var request = SummaryRequestParser.Parse(http.Request.Query);
        if (request.Problem is { } invalid)
        {
            return invalid;
        }

        var query = await AuthorizeAsync(http.User, request.Value.AppId, request.Value.Window, http.RequestAborted);
        if (query is null)
        {
            return ApiProblems.AppNotFoundResult();
        }

        SummaryLookup lookup;
        var refresh = IsRefresh(http);
        try
        {
            lookup = await cache.GetOrComputeAsync(summary, query, refresh,
                token => ComputeAsync(summary, query, refresh, token), http.RequestAborted);
        }
        catch (ComputeRejectedException rejected)
        {
            metrics.Rejected(summary.Label);
            return rejected.ToProblem(http.Response);
        }

        http.Response.Headers["X-Cache"] = lookup.Result.Header;
        http.Features.Get<IHttpActivityFeature>()?.Activity.SetTag("cache.hit", lookup.Result == CacheResult.Hit);
        return TypedResults.Bytes(lookup.Entry.Body, JsonContentType);
    }

    /// <summary>
    /// The query, when the app belongs to the caller's organization; null otherwise. Another organization's app
    /// is answered exactly like a missing one, so its existence is not revealed. The Prewarmer's refresh token is
    /// tied to no organization: it refreshes under the owner's key.
    /// </summary>
    private async Task<SummaryQuery?> AuthorizeAsync(ClaimsPrincipal user, Guid appId, TimeWindow window, CancellationToken cancellationToken)
    {
        var owner = await apps.FindOrganizationAsync(appId, cancellationToken);
        var caller = user.HasRefreshScope() ? owner : user.GetOrganizationId();
        return owner is { } organization && organization == caller ? new SummaryQuery(organization, appId, window) : null;
    }

    /// <summary>
    /// A cold compute, once admitted by the organization's and the total bound (the Prewarmer's refreshes are
    /// bounded by the Prewarmer itself). The wait for a slot is not part of the compute's duration. It reads the
    /// rollups when <c>Rollups:Mode</c> is on and they are ready and current, raw rows otherwise.
    /// </summary>
    private async Task<byte[]> ComputeAsync(SummaryDefinition summary, SummaryQuery query, bool refresh, CancellationToken token)
    {
        using var slot = refresh ? null : await limiter.AcquireAsync(query.OrganizationId, token);
        var mode = rollupsOptions.Value.EffectiveMode;
        var rollupsCanServe = mode != RollupsMode.Off && rollups.CanServe();
        var source = mode == RollupsMode.On && rollupsCanServe ? SummarySource.Rollups : SummarySource.Raw;
        var started = time.GetTimestamp();
        var body = await summary.ComputeJsonAsync(query, source, database, json.Value.SerializerOptions, token);
        var elapsed = time.GetElapsedTime(started);

        if (mode == RollupsMode.Shadow && rollupsCanServe)
        {
            shadow.Compare(summary, query, body,
                await summary.ComputeJsonAsync(query, SummarySource.Rollups, database, json.Value.SerializerOptions, token));
        }
        metrics.Computed(summary.Label, elapsed);
        if (elapsed >= cacheOptions.Value.SlowComputeThreshold)
        {
            LogSlowCompute(summary.Label, elapsed.TotalMilliseconds, query.AppId);
        }
        return body;
    }

    /// <summary>
    /// The Prewarmer forces a recompute with <c>Cache-Control: no-cache</c> — honoured only for a token with the
    /// refresh scope, so dashboard traffic can never bypass the cache.
    /// </summary>
    private static bool IsRefresh(HttpContext http) =>
        http.User.HasRefreshScope()
        && http.Request.Headers.CacheControl.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slow summary compute: {Summary} took {ElapsedMs:F0} ms for app {AppId}")]
    private partial void LogSlowCompute(string summary, double elapsedMs, Guid appId);
}
