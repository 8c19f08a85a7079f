namespace PeerMetrics.Api.Summaries;

/// <summary>The eight summaries, in the dashboard's order.</summary>
public static class SummaryCatalog
{
    public static readonly IReadOnlyList<SummaryDefinition> All =
    [
        ConferencesApi.StatusByDay,
        ConferencesApi.Durations,
        ConferencesApi.ParticipantCounts,
        IssuesApi.ByCode,
        IssuesApi.UserMediaErrors,
        ConnectionsApi.Types,
        ConnectionsApi.SetupTimes,
        SessionsApi.Summary,
    ];
}
