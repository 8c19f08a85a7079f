using Microsoft.AspNetCore.Http.Metadata;
using OpenTelemetry.Metrics;

namespace PeerMetrics.Api.Forwarding;

/// <summary>
/// Every /v1 route this service does not serve (the dashboard's issues, sessions, connections, search, app
/// updates, …) is forwarded to the upstream peermetrics API (<c>Api:Upstream</c>) with YARP's
/// <c>IHttpForwarder</c>. Served routes are never forwarded. Forwarded calls carry no PeerMetrics auth of their
/// own (the upstream authenticates them: cookies and headers pass through), are never cached, and are traced
/// (the request's server span, route <see cref="RoutePattern"/>, with the outgoing call as its child) and counted
/// (<see cref="UpstreamMetrics"/>).
/// </summary>
public static class UpstreamForwarding
{
    /// <summary>The forwarder's route: below every served /v1 route in precedence.</summary>
    public const string RoutePattern = "/v1/{**path}";

    /// <summary>
    /// The largest request body a forwarded route takes (the dashboard's app updates are small JSON documents).
    /// Kestrel's global limit stays 0 for every served route (<see cref="Hosting.RequestLimits"/>).
    /// </summary>
    public const long MaxRequestBodyBytes = 10 * 1024 * 1024;

    public static IHostApplicationBuilder AddUpstreamForwarding(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<UpstreamOptions>()
            .BindConfiguration(UpstreamOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<UpstreamOptions>, UpstreamOptionsValidator>();
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<UpstreamMetrics>();
        builder.Services.AddSingleton<UpstreamForwarder>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(UpstreamMetrics.MeterName));
        return builder;
    }

    public static IEndpointRouteBuilder MapUpstreamForwarding(this IEndpointRouteBuilder app)
    {
        var forwarder = app.ServiceProvider.GetRequiredService<UpstreamForwarder>();
        RequestDelegate forward = forwarder.HandleAsync;
        app.Map(RoutePattern, forward)
            .WithName("upstream.forward")
            .WithMetadata(UpstreamForwardingMarker.Instance, new ForwardedBodyLimit())
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>Raises the request-body limit for the forwarder's endpoint only; routing applies it (.NET 8+).</summary>
    private sealed class ForwardedBodyLimit : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => MaxRequestBodyBytes;
    }
}
