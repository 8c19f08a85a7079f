using OpenTelemetry.Trace;
using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Internal;
using PeerMetrics.Api.Summaries;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api;

/// <summary>All /v1 routes (the eight cached summaries and the conferences drill-down) and the Prewarmer's internal route.</summary>
public static class PeerMetricsApi
{
    public static IHostApplicationBuilder AddPeerMetricsApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AppDirectory>();
        builder.Services.AddSingleton<SummaryDatabase>();
        builder.Services.AddSingleton<SummaryPipeline>();
        builder.Services.AddSingleton<ComputeLimiter>();
        builder.Services.AddOptions<ComputeLimitOptions>()
            .BindConfiguration(ComputeLimitOptions.SectionName)
            .Validate(o => o.PerOrganization >= 1 && o.Total >= o.PerOrganization && o.QueuePerOrganization >= 0 && o.QueueTimeout >= TimeSpan.Zero,
                "SummaryCompute: PerOrganization must be at least 1, Total at least PerOrganization, QueuePerOrganization and QueueTimeout not negative.")
            .ValidateOnStart();
        builder.Services.ConfigureHttpJsonOptions(options =>
            // The dashboard reads snake_case names (min_sec, total_conferences, conference_ids, …).
            options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(ApiTelemetry.Name));
        return builder;
    }

    public static IEndpointRouteBuilder MapPeerMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapSummaries();

        app.MapGroup("/v1")
            .RequireAuthorization(AuthExtensions.DashboardPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .MapConferenceList();

        app.MapPrewarmApi();

        return app;
    }

    /// <summary>One endpoint per <see cref="SummaryCatalog"/> entry, each running the <see cref="SummaryPipeline"/>.</summary>
    private static void MapSummaries(this IEndpointRouteBuilder app)
    {
        // Resolved once: a request resolves nothing from the container.
        var pipeline = app.ServiceProvider.GetRequiredService<SummaryPipeline>();
        var summaries = app.MapGroup(string.Empty)
            .RequireAuthorization(AuthExtensions.SummaryPolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        foreach (var summary in SummaryCatalog.All)
        {
            Delegate handler = (HttpContext http) => pipeline.HandleAsync(summary, http);
            summaries.MapGet(summary.Route, handler)
                .WithName(summary.Label)
                .WithSummary(summary.Description)
                .WithTags(summary.Tag)
                .Produces(StatusCodes.Status200OK, summary.ResponseType)
                .Produces(StatusCodes.Status304NotModified)
                .WithQueryParameters(SummaryRequestParser.Parameters)
                .WithMetadata(summary);
        }
    }
}
