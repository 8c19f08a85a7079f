namespace PeerMetrics.Api.Tests.Caching;

/// <summary>The eight cached summaries: route and cache label.</summary>
public static class SummaryRoutes
{
    public static readonly (string Route, string Label)[] All =
    [
        ("/v1/conferences/summary", "conferences.summary"),
        ("/v1/conferences/duration-summary", "conferences.duration_summary"),
        ("/v1/conferences/participant-count-summary", "conferences.participant_count_summary"),
        ("/v1/issues/summary", "issues.summary"),
        ("/v1/issues/gum-summary", "issues.gum_summary"),
        ("/v1/connections/summary", "connections.summary"),
        ("/v1/connections/setup-time-summary", "connections.setup_time_summary"),
        ("/v1/sessions/summary", "sessions.summary"),
    ];

    public static TheoryData<string, string> Theory()
    {
        var data = new TheoryData<string, string>();
        foreach (var (route, label) in All)
        {
            data.Add(route, label);
        }
        return data;
    }
}
