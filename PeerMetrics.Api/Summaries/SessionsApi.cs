namespace PeerMetrics.Api.Summaries;

/// <summary>The sessions summaries.</summary>
public static class SessionsApi
{
    public static RouteGroupBuilder MapSessionsSummaries(this RouteGroupBuilder group) => group;
}
