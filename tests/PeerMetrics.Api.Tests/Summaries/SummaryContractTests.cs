using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Summaries;

public sealed class SummaryContractTests
{
    /// <summary>
    /// The one list of the summaries' routes and labels outside the Api. A label is part of every Redis key and
    /// metric tag, and a route is the dashboard's contract: changing either must be a deliberate edit here.
    /// </summary>
    [Fact]
    public void The_eight_summaries_keep_their_routes_and_labels()
    {
        Assert.Equal(
        [
            ("/v1/conferences/summary", "conferences.summary"),
            ("/v1/conferences/duration-summary", "conferences.duration_summary"),
            ("/v1/conferences/participant-count-summary", "conferences.participant_count_summary"),
            ("/v1/issues/summary", "issues.summary"),
            ("/v1/issues/gum-summary", "issues.gum_summary"),
            ("/v1/connections/summary", "connections.summary"),
            ("/v1/connections/setup-time-summary", "connections.setup_time_summary"),
            ("/v1/sessions/summary", "sessions.summary"),
        ], SummaryCatalog.All.Select(summary => (summary.Route, summary.Label)));
    }
}
