namespace PeerMetrics.Api.Summaries;

/// <summary>GET /v1/conferences: the drill-down list behind a chart bar.</summary>
public static class ConferenceListApi
{
    public static RouteGroupBuilder MapConferenceList(this RouteGroupBuilder group) => group;
}
