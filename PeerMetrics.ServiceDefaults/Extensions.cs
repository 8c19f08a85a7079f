using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Polly.Telemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Cross-cutting service defaults shared by every PeerMetrics service: OpenTelemetry, health checks,
/// service discovery and HTTP resilience.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    /// <summary>Adds telemetry, health checks, service discovery and resilient HTTP clients.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        builder.Services.Configure<TelemetryOptions>(telemetry => telemetry.SeverityProvider = QuietWhenSuccessful);

        return builder;
    }

    /// <summary>
    /// Polly reports every attempt and every pipeline run of an outgoing request, the successful ones at
    /// Information: a log line per request. Those go to Debug; handled failures, retries, timeouts and circuit
    /// breaker changes keep their levels.
    /// </summary>
    private static ResilienceEventSeverity QuietWhenSuccessful(SeverityProviderArguments arguments) =>
        arguments.Event.EventName is "ExecutionAttempt" or "PipelineExecuting" or "PipelineExecuted"
            && arguments.Event.Severity == ResilienceEventSeverity.Information
            ? ResilienceEventSeverity.Debug
            : arguments.Event.Severity;

    /// <summary>Logs, metrics and traces; exported over OTLP when the AppHost provides an endpoint.</summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddAspNetCoreInstrumentation(options =>
                    // Health probes would drown the real traffic in the dashboard.
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>A liveness check tagged "live"; features add their own readiness checks.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>Maps <c>/health</c> (all checks) and <c>/alive</c> (liveness only).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // The overall status; to the refresh scope or in Development also each check's status, description and
        // data (e.g. the rollups' lag and backlog).
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains("live"),
        });
        return app;
    }

    /// <summary>
    /// The overall status for everyone (probes need nothing more); each check's description and data (platform-wide
    /// counts, backlog, lag) only to a caller with the refresh scope (the Prewarmer's token) or in Development.
    /// </summary>
    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Vary = "Authorization";
        var detailed = context.RequestServices.GetRequiredService<IHostEnvironment>().IsDevelopment()
            || PeerMetrics.Tokens.PeerMetricsClaims.HasRefreshScope(context.User);
        return detailed
            ? WriteDetailedHealthAsync(context, report)
            : context.Response.WriteAsJsonAsync(new { status = report.Status.ToString() });
    }

    private static Task WriteDetailedHealthAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(entry => entry.Key, entry => new
            {
                status = entry.Value.Status.ToString(),
                description = entry.Value.Description,
                data = entry.Value.Data.Count == 0 ? null : entry.Value.Data,
            }),
        });
}
