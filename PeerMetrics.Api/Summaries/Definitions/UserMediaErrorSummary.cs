namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary><c>/v1/issues/gum-summary</c>: the app's getUserMedia errors by error name, with a sample message.</summary>
public static class UserMediaErrorSummary
{
    public sealed record GumError(string Name, string Message, long Count);

    public sealed record GumSummaryBody(IReadOnlyList<GumError> Data, long Total);

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
    private const string RawSql = $$"""
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
    private static readonly string RollupSql = $"""
        SELECT r.name AS "Name",
               coalesce((array_agg(r.first_message ORDER BY r.first_at, r.first_id)
                         FILTER (WHERE r.first_message IS NOT NULL))[1], '') AS "Message",
               sum(r.issues)::bigint AS "Count"
        {RollupWindow.Read("issue_gum")}
        GROUP BY r.name
        ORDER BY sum(r.issues) DESC, r.name COLLATE "C"
        """;

    // After the statements it is built from: static fields initialize in order.
    public static readonly SummaryDefinition<GumSummaryBody> Definition = new(
        "/v1/issues/gum-summary", "issues.gum_summary", "Issues",
        "getUserMedia errors of the app, grouped by error name, with a sample message.",
        new SummarySql(RawSql, RollupSql), MapAsync);

    private static async Task<GumSummaryBody> MapAsync(SummaryStatement statement, CancellationToken ct)
    {
        var rows = await statement.RowsAsync<GumRow>(ct);
        return new GumSummaryBody(
            rows.Select(row => new GumError(row.Name, row.Message, row.Count)).ToList(),
            rows.Sum(row => row.Count));
    }

    private sealed class GumRow
    {
        public required string Name { get; init; }
        public required string Message { get; init; }
        public long Count { get; init; }
    }
}
