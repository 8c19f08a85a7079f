namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>The eight summaries, in the dashboard's order.</summary>
public static class SummaryCatalog
{
    public static readonly IReadOnlyList<SummaryDefinition> All =
    [
        ConferenceStatusSummary.Definition,
        ConferenceDurationSummary.Definition,
        ParticipantCountSummary.Definition,
        IssueCodeSummary.Definition,
        UserMediaErrorSummary.Definition,
        ConnectionTypeSummary.Definition,
        ConnectionSetupTimeSummary.Definition,
        SessionListSummary.Definition,
    ];
}
