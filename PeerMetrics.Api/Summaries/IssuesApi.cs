namespace PeerMetrics.Api.Summaries;

/// <summary>The issues summaries.</summary>
public static class IssuesApi
{
    public static RouteGroupBuilder MapIssuesSummaries(this RouteGroupBuilder group) => group;
}
