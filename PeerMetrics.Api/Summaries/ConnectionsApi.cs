namespace PeerMetrics.Api.Summaries;

/// <summary>The connections summaries.</summary>
public static class ConnectionsApi
{
    public static RouteGroupBuilder MapConnectionsSummaries(this RouteGroupBuilder group) => group;
}
