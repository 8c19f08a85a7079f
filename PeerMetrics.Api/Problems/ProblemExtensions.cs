using OpenTelemetry.Metrics;

namespace PeerMetrics.Api.Problems;

public static class ProblemExtensions
{
    /// <summary>Problem+json bodies for every error, and the exception handler that classifies failures.</summary>
    public static IHostApplicationBuilder AddProblemResponses(this IHostApplicationBuilder builder)
    {
        builder.Services.AddExceptionHandler<ErrorHandler>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ErrorHandler.MeterName));
        return builder;
    }
}
