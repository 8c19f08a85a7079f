namespace PeerMetrics.Prewarmer;

/// <summary>
/// The eight summaries the dashboard opens with. <see cref="Label"/> is the Api's cache label for the route:
/// a low-cardinality tag for metrics and the name in log lines.
/// </summary>
public sealed record SummaryRoute(string Path, string Label)
{
    public static readonly IReadOnlyList<SummaryRoute> All =
    [
        new("/v1/conferences/summary", "conferences.summary"),
        new("/v1/conferences/duration-summary", "conferences.duration_summary"),
        new("/v1/conferences/participant-count-summary", "conferences.participant_count_summary"),
        new("/v1/issues/summary", "issues.summary"),
        new("/v1/issues/gum-summary", "issues.gum_summary"),
        new("/v1/connections/summary", "connections.summary"),
        new("/v1/connections/setup-time-summary", "connections.setup_time_summary"),
        new("/v1/sessions/summary", "sessions.summary"),
    ];
}
