using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Problems;
using PeerMetrics.Api.Summaries.Definitions;
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
    SummaryCacheMetrics metrics,
    IOptions<SummaryCacheOptions> cacheOptions,
    IOptions<JsonOptions> json,
    TimeProvider time,
    ILogger<SummaryPipeline> logger)
{
    private const string JsonContentType = "application/json; charset=utf-8";

    // Every summary answer but a problem depends on Accept-Encoding.
    private static readonly StringValues VaryAcceptEncoding = new(HeaderNames.AcceptEncoding);

    private static readonly StringValues NotFresh = new("private, no-cache");

    public async ValueTask<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> HandleAsync(
        SummaryDefinition summary, HttpContext http)
    {
        var request = SummaryRequestParser.Parse(http.Request.Query);
        if (request.Problem is { } invalid)
        {
            return invalid;
        }

        var authorizeStarted = DateTime.UtcNow;
        var query = await AuthorizeAsync(http.User, request.Value.AppId, request.Value.Window, http.RequestAborted);
        if (query is null)
        {
            return ApiProblems.AppNotFoundResult();
        }
        var authorized = DateTime.UtcNow;

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
        if (lookup.Result != CacheResult.Hit)
        {
            // Recorded once the request knows it computed, so a hit pays for no span of its own.
            ApiTelemetry.Stage("summary.authorize", authorizeStarted, authorized);
        }

        var body = lookup.Entry.For(ContentCodings.Negotiate(http.Request.Headers.AcceptEncoding));
        var headers = http.Response.Headers;
        headers["X-Cache"] = lookup.Result.Header;
        headers.ETag = body.ETag;
        headers.Vary = VaryAcceptEncoding;
        headers.CacheControl = lookup.Result == CacheResult.Stale ? NotFresh : FreshFor(cache.RemainingFreshness(lookup.Entry));
        http.Features.Get<IHttpActivityFeature>()?.Activity.SetTag("cache.hit", lookup.Result == CacheResult.Hit);
        if (Matches(http.Request, body.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        if (body.ContentEncoding is { } coding)
        {
            headers.ContentEncoding = coding;
        }
        return TypedResults.Bytes(body.Bytes, JsonContentType);
    }

    /// <summary>
    /// <c>If-None-Match</c> lists the representation's tag (weak comparison, as the header asks), or is <c>*</c>:
    /// the client's copy is current. Parsed only when sent.
    /// </summary>
    private static bool Matches(HttpRequest request, string etag) =>
        request.Headers.IfNoneMatch.Count > 0
        && request.GetTypedHeaders().IfNoneMatch.Any(candidate =>
            candidate.Equals(EntityTagHeaderValue.Any) || candidate.Tag.Equals(etag, StringComparison.Ordinal));

    // Whole seconds, rounded down: a browser never keeps the body past the entry's own freshness.
    private static StringValues FreshFor(TimeSpan remaining) =>
        new(string.Create(CultureInfo.InvariantCulture, $"private, max-age={(long)remaining.TotalSeconds}"));

    /// <summary>The query, when the caller may read the app (<see cref="AppDirectory.ReadableOwnerAsync"/>); null otherwise.</summary>
    private async ValueTask<SummaryQuery?> AuthorizeAsync(ClaimsPrincipal user, Guid appId, TimeWindow window, CancellationToken cancellationToken) =>
        await apps.ReadableOwnerAsync(user, appId, cancellationToken) is { } organization ? new SummaryQuery(organization, appId, window) : null;

    /// <summary>
    /// A cold compute, once admitted by the organization's and the total bound (the Prewarmer's refreshes are
    /// bounded by the Prewarmer itself). The wait for a slot is not part of the compute's duration. The database
    /// decides whether the rollups or raw rows answer (<see cref="SummaryDatabase.ComputeAsync"/>).
    /// </summary>
    private async Task<CachedSummary> ComputeAsync(SummaryDefinition summary, SummaryQuery query, bool refresh, CancellationToken token)
    {
        using var slot = refresh ? null : await WaitForSlotAsync(query, token);
        var (body, elapsed) = await database.ComputeAsync(summary, query, json.Value.SerializerOptions, token);
        metrics.Computed(summary.Label, elapsed);
        if (elapsed >= cacheOptions.Value.SlowComputeThreshold)
        {
            LogSlowCompute(summary.Label, elapsed.TotalMilliseconds, query.AppId);
        }
        using (ApiTelemetry.Source.StartActivity("summary.compress"))
        {
            return CachedSummary.Create(body, time.GetUtcNow());
        }
    }

    private async Task<IDisposable> WaitForSlotAsync(SummaryQuery query, CancellationToken token)
    {
        using var activity = ApiTelemetry.Source.StartActivity("summary.limiter");
        return await limiter.AcquireAsync(query.OrganizationId, token);
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
