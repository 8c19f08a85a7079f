using System.Diagnostics;

namespace PeerMetrics.Api;

/// <summary>
/// The Api's own spans, from one source registered with OpenTelemetry (<c>AddPeerMetricsApi</c>):
/// the stages of a summary compute, the rollups maintainer's runs that did work, and the start-up's migration and seed.
/// </summary>
public static class ApiTelemetry
{
    public const string Name = "PeerMetrics.Api";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>
    /// A stage that was timed rather than wrapped in a span while it ran (only once the request knew it computed),
    /// recorded as a finished child of the current span.
    /// </summary>
    public static void Stage(string name, DateTime startedAt, DateTime endedAt)
    {
        using var activity = Source.StartActivity(name, ActivityKind.Internal, parentContext: default, startTime: startedAt);
        activity?.SetEndTime(endedAt);
    }
}
