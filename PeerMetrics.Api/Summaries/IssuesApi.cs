namespace PeerMetrics.Api.Summaries;

/// <summary>The issues summaries: issues by code, and getUserMedia errors by error name.</summary>
public static class IssuesApi
{
    private const string Tag = "Issues";

    public sealed record IssueCount(string Code, string Title, long Count);

    public sealed record IssueSummaryBody(IReadOnlyList<IssueCount> Data);

    public sealed record GumError(string Name, string Message, long Count);

    public sealed record GumSummaryBody(IReadOnlyList<GumError> Data, long Total);

    // The window applies to the issue's own created_at; the parent conference only scopes to the app
    // (its is_active is not checked, as in the peermetrics API).
    private const string ByCodeSql = """
        SELECT i.code AS "Code", count(*) AS "Count"
        FROM app_issue i
        JOIN conference c ON c.id = i.conference_id
        WHERE c.app_id = @app AND i.is_active
          AND i.created_at >= coalesce(@from, '-infinity') AND i.created_at < coalesce(@until, 'infinity')
        GROUP BY i.code
        ORDER BY count(*) DESC, i.code COLLATE "C"
        """;

    // The same rows from the rollups (docs/rollups.md).
    private const string ByCodeRollupSql = """
        SELECT r.code AS "Code", sum(r.issues)::bigint AS "Count"
        FROM peermetrics_rollups.window_parts(@from, @until) w
        CROSS JOIN LATERAL (
            -- OFFSET 0: one index range scan per part, whatever the planner guesses about the ranges.
            SELECT * FROM peermetrics_rollups.issue_code b
            WHERE b.app_id = @app AND b.level = w.lvl AND b.bucket >= w.lo AND b.bucket < w.hi
            OFFSET 0
        ) r
        GROUP BY r.code
        ORDER BY sum(r.issues) DESC, r.code COLLATE "C"
        """;

    // Issue i's getUserMedia error, as the raw summary and its rollup cells (Rollups/Install/issue-cells.sql) read it.
    internal const string IsUserMediaError = """
        i.code = 'getusermedia_error' AND jsonb_typeof(i.data) = 'object' AND i.data <> jsonb_build_object()
        """;

    internal const string UserMediaErrorValues = """
        CASE WHEN jsonb_typeof(i.data -> 'name') = 'string' AND i.data ->> 'name' <> ''
             THEN i.data ->> 'name' ELSE 'Unknown' END AS name,
        CASE WHEN jsonb_typeof(i.data -> 'message') = 'string' AND i.data ->> 'message' <> ''
             THEN i.data ->> 'message' END AS message
        """;

    // data may be any JSON or SQL NULL: only non-empty objects count (no brace literal here: EF treats
    // {…} in raw SQL as a parameter placeholder). The name is "Unknown" unless it is a
    // non-empty string; the message is the first non-empty string message by (created_at, id).
    private const string UserMediaErrorsSql = $$"""
        SELECT gum.name AS "Name",
               coalesce((array_agg(gum.message ORDER BY gum.created_at, gum.id)
                         FILTER (WHERE gum.message IS NOT NULL))[1], '') AS "Message",
               count(*) AS "Count"
        FROM (
            SELECT {{UserMediaErrorValues}},
                   i.created_at,
                   i.id
            FROM app_issue i
            JOIN conference c ON c.id = i.conference_id
            WHERE c.app_id = @app AND i.is_active AND {{IsUserMediaError}}
              AND i.created_at >= coalesce(@from, '-infinity') AND i.created_at < coalesce(@until, 'infinity')
        ) gum
        GROUP BY gum.name
        ORDER BY count(*) DESC, gum.name COLLATE "C"
        """;

    // Each rollup row keeps its first message with its (created_at, id): the earliest of those wins.
    private const string UserMediaErrorsRollupSql = """
        SELECT r.name AS "Name",
               coalesce((array_agg(r.first_message ORDER BY r.first_at, r.first_id)
                         FILTER (WHERE r.first_message IS NOT NULL))[1], '') AS "Message",
               sum(r.issues)::bigint AS "Count"
        FROM peermetrics_rollups.window_parts(@from, @until) w
        CROSS JOIN LATERAL (
            -- OFFSET 0: one index range scan per part, whatever the planner guesses about the ranges.
            SELECT * FROM peermetrics_rollups.issue_gum b
            WHERE b.app_id = @app AND b.level = w.lvl AND b.bucket >= w.lo AND b.bucket < w.hi
            OFFSET 0
        ) r
        GROUP BY r.name
        ORDER BY sum(r.issues) DESC, r.name COLLATE "C"
        """;

    public static readonly SummaryDefinition<IssueSummaryBody> ByCode = new(
        "/v1/issues/summary", "issues.summary", Tag,
        "Active issues of the app's conferences, grouped by code, most frequent first.",
        new SummarySql(ByCodeSql, ByCodeRollupSql), GetByCode);

    public static readonly SummaryDefinition<GumSummaryBody> UserMediaErrors = new(
        "/v1/issues/gum-summary", "issues.gum_summary", Tag,
        "getUserMedia errors of the app, grouped by error name, with a sample message.",
        new SummarySql(UserMediaErrorsSql, UserMediaErrorsRollupSql), GetUserMediaErrors);

    private static async Task<IssueSummaryBody> GetByCode(SummaryStatement statement, CancellationToken ct)
    {
        var rows = await statement.RowsAsync<CodeRow>(ct);
        return new IssueSummaryBody(
            rows.Select(row => new IssueCount(row.Code, IssueTitles.For(row.Code), row.Count)).ToList());
    }

    private static async Task<GumSummaryBody> GetUserMediaErrors(SummaryStatement statement, CancellationToken ct)
    {
        var rows = await statement.RowsAsync<GumRow>(ct);
        return new GumSummaryBody(
            rows.Select(row => new GumError(row.Name, row.Message, row.Count)).ToList(),
            rows.Sum(row => row.Count));
    }

    private sealed class CodeRow
    {
        public required string Code { get; init; }
        public long Count { get; init; }
    }

    private sealed class GumRow
    {
        public required string Name { get; init; }
        public required string Message { get; init; }
        public long Count { get; init; }
    }
}
