namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary><c>/v1/conferences/summary</c>: the app's conferences per UTC day, by status.</summary>
public static class ConferenceStatusSummary
{
    public sealed record DaySummary(string Date, long Success, long Warning, long Error, long Ongoing, long Total);

    public sealed record DaySummaryBody(IReadOnlyList<DaySummary> Data);

    /// <summary>
    /// The status rule, written once for the raw query and the rollup cells (Rollups/Install/conference-cells.sql),
    /// in three parts. <see cref="DecidingIssue"/>: the issues i that decide a status, a conference's active errors
    /// and warnings, whenever created. <see cref="HasError"/>: over a conference's deciding issues, true with any
    /// error, false with warnings only (NULL, or no row, without any). <see cref="Status"/>: the status itself.
    /// The caller joins the issues to its conferences (a join for many, a lateral lookup for a few).
    /// </summary>
    internal const string DecidingIssue = "i.is_active AND i.type IN ('e', 'w')";

    /// <inheritdoc cref="DecidingIssue"/>
    internal const string HasError = "bool_or(i.type = 'e')";

    /// <summary>
    /// The status of conference c with its <see cref="HasError"/> as severity.has_error: ongoing wins over any
    /// issue, then any error, then any warning, else success.
    /// </summary>
    internal const string Status = """
        CASE WHEN c.ongoing THEN 'o'
             WHEN severity.has_error THEN 'e'
             WHEN severity.has_error IS NOT NULL THEN 'w'
             ELSE 's' END
        """;

    // The window selects conferences; their status is counted per day. Set-based (the issues of the selected
    // conferences aggregated once) so Postgres can hash-join a big app and nested-loop a small one.
    private const string RawSql = $"""
        WITH selected AS (
            SELECT c.id, c.ongoing, (c.created_at AT TIME ZONE 'UTC')::date AS day
            FROM conference c
            WHERE c.app_id = @app AND c.is_active
              AND c.created_at >= coalesce(@from, '-infinity') AND c.created_at < coalesce(@until, 'infinity')
        ), severity AS (
            SELECT i.conference_id, {HasError} AS has_error
            FROM app_issue i
            JOIN selected ON selected.id = i.conference_id
            WHERE {DecidingIssue}
            GROUP BY i.conference_id
        ), status AS (
            SELECT c.day, {Status} AS status
            FROM selected c
            LEFT JOIN severity ON severity.conference_id = c.id
        )
        SELECT to_char(day, 'YYYY-MM-DD')          AS "Date",
               count(*) FILTER (WHERE status = 's') AS "Success",
               count(*) FILTER (WHERE status = 'w') AS "Warning",
               count(*) FILTER (WHERE status = 'e') AS "Error",
               count(*) FILTER (WHERE status = 'o') AS "Ongoing",
               count(*)                             AS "Total"
        FROM status
        GROUP BY day
        ORDER BY day
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
