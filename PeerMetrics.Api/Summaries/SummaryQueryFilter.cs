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
        var organizationId = http.User.GetOrganizationId();
        var owner = await apps.FindOrganizationAsync(appId, http.RequestAborted);
        if (organizationId is null || owner != organizationId)
        {
            return ApiProblems.AppNotFoundResult();
        }

        var query = new SummaryQuery(organizationId.Value, appId, window);
        query.Attach(http);
        // Handlers were bound before this filter ran (see SummaryQuery.Unvalidated): hand them the real query.
        for (var i = 0; i < context.Arguments.Count; i++)
        {
            if (context.Arguments[i] is SummaryQuery)
            {
                context.Arguments[i] = query;
            }
        }
        return await next(context);
    }
}
