namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary><c>/v1/conferences/participant-count-summary</c>: how many conferences had k present participants.</summary>
public static class ParticipantCountSummary
{
    public sealed record ParticipantCount(int Participants, long Conferences);

    public sealed record ParticipantCountBody(IReadOnlyList<ParticipantCount> Data, long TotalConferences);

    /// <summary>
    /// Whether the participant of link pc (a participant_conferences row) is present in its conference: active, not
    /// an SFU, and with at least one session in that conference (the session's own is_active is not checked, as in
    /// the peermetrics API). Written once for this summary, the rollup cells (Rollups/Install/conference-cells.sql)
    /// and the drill-down's participants_count. The few participants who never count (inactive or SFU) are
    /// excluded through their own small partial index, and the session check is a semi-join on
    /// (conference_id, participant_id): no join against every participant.
    /// </summary>
    internal const string Present = """
        NOT EXISTS (SELECT 1 FROM participant p
                    WHERE p.id = pc.participant_id AND (NOT p.is_active OR p.is_sfu))
        AND EXISTS (SELECT 1 FROM app_session s
                    WHERE s.conference_id = pc.conference_id AND s.participant_id = pc.participant_id)
        """;

    // Conferences nobody attended count under 0. The links are the driving rows.
    private const string RawSql = $"""
        WITH selected AS (
            SELECT c.id
            FROM conference c
            WHERE c.app_id = @app AND c.is_active
              AND c.created_at >= coalesce(@from, '-infinity') AND c.created_at < coalesce(@until, 'infinity')
        ), present AS (
            SELECT pc.conference_id, count(*) AS participants
            FROM participant_conferences pc
            WHERE pc.conference_id IN (SELECT id FROM selected)
              AND {Present}
            GROUP BY pc.conference_id
        )
        SELECT coalesce(present.participants, 0)::int AS "Participants", count(*) AS "Conferences"
        FROM selected
        LEFT JOIN present ON present.conference_id = selected.id
        GROUP BY 1
        ORDER BY 1
        """;

    private static readonly string RollupSql = $"""
        SELECT r.participants AS "Participants", sum(r.conferences)::bigint AS "Conferences"
        {RollupWindow.Read("conference_participants")}
        GROUP BY 1
        ORDER BY 1
        """;

    // After the statements it is built from: static fields initialize in order.
    public static readonly SummaryDefinition<ParticipantCountBody> Definition = new(
        "/v1/conferences/participant-count-summary", "conferences.participant_count_summary", "Conferences",
        "How many conferences had k present participants (active, not SFU, with a session).",
        new SummarySql(RawSql, RollupSql), MapAsync);

    private static async Task<ParticipantCountBody> MapAsync(SummaryStatement statement, CancellationToken ct)
    {
        var rows = await statement.RowsAsync<ParticipantCountRow>(ct);
        return new ParticipantCountBody(
            rows.Select(row => new ParticipantCount(row.Participants, row.Conferences)).ToList(),
            rows.Sum(row => row.Conferences));
    }

    private sealed class ParticipantCountRow
    {
        public int Participants { get; init; }
        public long Conferences { get; init; }
    }
}
