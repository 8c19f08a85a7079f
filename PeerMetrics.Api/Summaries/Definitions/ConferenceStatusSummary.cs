namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary><c>/v1/conferences/summary</c>: the app's conferences per UTC day, by status.</summary>
public static class ConferenceStatusSummary
{
    public sealed record DaySummary(string Date, long Success, long Warning, long Error, long Ongoing, long Total);

    public sealed record DaySummaryBody(IReadOnlyList<DaySummary> Data);

    // The window selects conferences; every active issue of a selected conference decides its status,
    // whenever the issue was created. Ongoing wins over any issue. Set-based (the issues of the selected
    // conferences aggregated once) so Postgres can hash-join a big app and nested-loop a small one.
    private const string RawSql = """
        WITH selected AS (
            SELECT c.id, c.ongoing, (c.created_at AT TIME ZONE 'UTC')::date AS day
            FROM conference c
            WHERE c.app_id = @app AND c.is_active
              AND c.created_at >= coalesce(@from, '-infinity') AND c.created_at < coalesce(@until, 'infinity')
        ), severity AS (
            SELECT i.conference_id, bool_or(i.type = 'e') AS has_error
            FROM app_issue i
            JOIN selected ON selected.id = i.conference_id
            WHERE i.is_active AND i.type IN ('e', 'w')
            GROUP BY i.conference_id
        )
        SELECT to_char(selected.day, 'YYYY-MM-DD')                                     AS "Date",
               count(*) FILTER (WHERE NOT selected.ongoing AND severity.conference_id IS NULL) AS "Success",
               count(*) FILTER (WHERE NOT selected.ongoing AND NOT severity.has_error)  AS "Warning",
               count(*) FILTER (WHERE NOT selected.ongoing AND severity.has_error)     AS "Error",
               count(*) FILTER (WHERE selected.ongoing)                                AS "Ongoing",
               count(*)                                                                AS "Total"
        FROM selected
        LEFT JOIN severity ON severity.conference_id = selected.id
        GROUP BY selected.day
        ORDER BY selected.day
        """;

    // The same rows from the rollups (peermetrics_rollups, docs/rollups.md).
    private static readonly string RollupSql = $"""
        SELECT to_char((r.bucket AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS "Date",
               sum(r.success)::bigint AS "Success",
               sum(r.warning)::bigint AS "Warning",
               sum(r.error)::bigint   AS "Error",
               sum(r.ongoing)::bigint AS "Ongoing",
               sum(r.total)::bigint   AS "Total"
        {RollupWindow.Read("conference_status")}
        GROUP BY (r.bucket AT TIME ZONE 'UTC')::date
        ORDER BY (r.bucket AT TIME ZONE 'UTC')::date
        """;

    // After the statements it is built from: static fields initialize in order.
    public static readonly SummaryDefinition<DaySummaryBody> Definition = new(
        "/v1/conferences/summary", "conferences.summary", "Conferences",
        "Conferences of the app per UTC day, by status (ongoing, error, warning, success).",
        new SummarySql(RawSql, RollupSql), MapAsync);

    private static async Task<DaySummaryBody> MapAsync(SummaryStatement statement, CancellationToken ct)
    {
        var days = await statement.RowsAsync<DayRow>(ct);
        return new DaySummaryBody(
            days.Select(day => new DaySummary(day.Date, day.Success, day.Warning, day.Error, day.Ongoing, day.Total)).ToList());
    }

    private sealed class DayRow
    {
        public required string Date { get; init; }
        public long Success { get; init; }
        public long Warning { get; init; }
        public long Error { get; init; }
        public long Ongoing { get; init; }
        public long Total { get; init; }
    }
}
