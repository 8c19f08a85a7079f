using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Problems;
using PeerMetrics.Api.Summaries;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Internal;

/// <summary>
/// Routes only the Prewarmer calls: they need the refresh scope, so a dashboard token gets 403 and the
/// list of every organization's active apps never reaches a dashboard.
/// </summary>
public static class PrewarmApi
{
    private static readonly QueryParameter Since = new("since", QueryValue.Instant,
        "Apps with an active conference created at or after this instant (ISO 8601; no offset = UTC).", Required: true);

    public static IEndpointRouteBuilder MapPrewarmApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/internal")
            .RequireAuthorization(AuthExtensions.RefreshPolicy)
            .MapGet("/active-apps", GetActiveApps)
            .WithName("internal.active_apps")
            .WithSummary("Apps worth prewarming (active apps with an active conference created since `since`) and the summaries to warm.")
            .WithTags("Internal")
            .WithQueryParameters([Since]);
        return app;
    }

    /// <summary>The apps to warm, and the summaries to warm for each: the Prewarmer keeps no list of its own.</summary>
    public sealed record ActiveApps(IReadOnlyList<Guid> Apps, IReadOnlyList<SummaryRoute> Summaries);

    public sealed record SummaryRoute(string Path, string Label);

    private static readonly IReadOnlyList<SummaryRoute> Summaries =
        SummaryCatalog.All.Select(summary => new SummaryRoute(summary.Route, summary.Label)).ToList();

    /// <summary>
    /// One query: an active app qualifies when one of its conferences created at or after <c>since</c> is
    /// itself active. An inactive (soft-deleted) conference is counted by no summary, so it must not make an
    /// app worth warming either.
    /// </summary>
    private static async Task<Results<Ok<ActiveApps>, ProblemHttpResult>> GetActiveApps(
        HttpContext http, PeerMetricsDbContext db, CancellationToken cancellationToken)
    {
        if (!http.Request.Query.ContainsKey(Since.Name))
        {
            return ApiProblems.MissingParameter($"{Since.Name} is required");
        }
        if (!SummaryRequestParser.TryParseInstant(http.Request.Query, Since.Name, out var since, out var problem))
        {
            return problem!;
        }

        var apps = await db.Apps.AsNoTracking()
            .Where(app => app.IsActive
                && db.Conferences.Any(c => c.AppId == app.Id && c.IsActive && c.CreatedAt >= since))
            .OrderBy(app => app.Id)
            .Select(app => app.Id)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new ActiveApps(apps, Summaries));
    }
}
