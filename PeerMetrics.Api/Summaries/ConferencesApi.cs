namespace PeerMetrics.Api.Summaries;

/// <summary>The conferences summaries.</summary>
public static class ConferencesApi
{
    public static RouteGroupBuilder MapConferencesSummaries(this RouteGroupBuilder group) => group;
}
