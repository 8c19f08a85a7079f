using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Problems;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// Runs before every summary handler (and before the cache): validates <c>appId</c> and the time window,
/// then checks that the app belongs to the caller's organization. Another organization's app is a 404,
/// exactly like a missing one, so its existence is not revealed.
/// </summary>
public sealed class SummaryQueryFilter(AppDirectory apps) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var parsed = SummaryRequestParser.Parse(http.Request.Query);
        if (parsed.Problem is { } problem)
        {
            return problem;
        }

        var (appId, window) = parsed.Value;
        var owner = await apps.FindOrganizationAsync(appId, http.RequestAborted);
        // The Prewarmer's refresh token is not tied to an organization; it refreshes under the owner's key.
        var caller = http.User.HasRefreshScope() ? owner : http.User.GetOrganizationId();
        if (owner is null || owner != caller)
        {
            return ApiProblems.AppNotFoundResult();
        }

        SummaryQuery.Replace(context, new SummaryQuery(owner.Value, appId, window));
        return await next(context);
    }
}
