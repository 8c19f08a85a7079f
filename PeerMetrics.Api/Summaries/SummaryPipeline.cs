using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Problems;
using PeerMetrics.Tokens;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// Every summary request, in order: parse and validate → tenant check → cache → compute → bytes. Each step
/// takes what the one before produced, so nothing below sees a bad or foreign request, and a cache key always
/// describes exactly what was computed.
/// </summary>
public sealed class SummaryPipeline(AppDirectory apps, SummaryCache cache, SummaryDatabase database, IOptions<JsonOptions> json)
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

        var lookup = await cache.GetOrComputeAsync(summary, query, IsRefresh(http),
            token => summary.ComputeJsonAsync(query, database, json.Value.SerializerOptions, token), http.RequestAborted);

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
    /// The Prewarmer forces a recompute with <c>Cache-Control: no-cache</c> — honoured only for a token with the
    /// refresh scope, so dashboard traffic can never bypass the cache.
    /// </summary>
    private static bool IsRefresh(HttpContext http) =>
        http.User.HasRefreshScope()
        && http.Request.Headers.CacheControl.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase);
}
