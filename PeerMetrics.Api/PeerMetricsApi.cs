using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Internal;
using PeerMetrics.Api.Summaries;

namespace PeerMetrics.Api;

/// <summary>All /v1 routes (the eight cached summaries and the conferences drill-down) and the Prewarmer's internal route.</summary>
public static class PeerMetricsApi
{
    public static IHostApplicationBuilder AddPeerMetricsApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AppDirectory>();
        builder.Services.AddSingleton<SummaryQueryFilter>();
        builder.Services.AddSingleton<SummaryDatabase>();
        builder.Services.ConfigureHttpJsonOptions(options =>
            // The dashboard reads snake_case names (min_sec, total_conferences, conference_ids, …).
            options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        return builder;
    }

    public static IEndpointRouteBuilder MapPeerMetricsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        // Validation and the tenant check run first, so nothing below (the cache included) sees a bad or
        // foreign request.
        var summaries = v1.MapGroup(string.Empty)
            .RequireAuthorization(AuthExtensions.SummaryPolicy)
            .AddSingletonEndpointFilter<SummaryQueryFilter>()
            // The filter's answers, so the OpenAPI document lists them for every summary.
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .CacheSummaries();
        summaries.MapConferencesSummaries();
        summaries.MapIssuesSummaries();
        summaries.MapConnectionsSummaries();
        summaries.MapSessionsSummaries();

        v1.MapGroup(string.Empty)
            .RequireAuthorization(AuthExtensions.DashboardPolicy)
            .MapConferenceList();

        app.MapPrewarmApi();

        return app;
    }
}
