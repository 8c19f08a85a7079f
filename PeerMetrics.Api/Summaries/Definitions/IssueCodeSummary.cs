namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary><c>/v1/issues/summary</c>: the app's active issues by code, most frequent first.</summary>
public static class IssueCodeSummary
{
    public sealed record IssueCount(string Code, string Title, long Count);

    public sealed record IssueSummaryBody(IReadOnlyList<IssueCount> Data);

    // The window applies to the issue's own created_at; the parent conference only scopes to the app
    // (its is_active is not checked, as in the peermetrics API).
    private const string RawSql = """
        SELECT i.code AS "Code", count(*) AS "Count"
        FROM app_issue i
        JOIN conference c ON c.id = i.conference_id
        WHERE c.app_id = @app AND i.is_active
          AND i.created_at >= coalesce(@from, '-infinity') AND i.created_at < coalesce(@until, 'infinity')
        GROUP BY i.code
        ORDER BY count(*) DESC, i.code COLLATE "C"
        """;

    // The same rows from the rollups (docs/rollups.md).
    private static readonly string RollupSql = $"""
        SELECT r.code AS "Code", sum(r.issues)::bigint AS "Count"
        {RollupWindow.Read("issue_code")}
        GROUP BY r.code
        ORDER BY sum(r.issues) DESC, r.code COLLATE "C"
        """;

    // After the statements it is built from: static fields initialize in order.
    public static readonly SummaryDefinition<IssueSummaryBody> Definition = new(
        "/v1/issues/summary", "issues.summary", "Issues",
        "Active issues of the app's conferences, grouped by code, most frequent first.",
        new SummarySql(RawSql, RollupSql), MapAsync);

    private static async Task<IssueSummaryBody> MapAsync(SummaryStatement statement, CancellationToken ct)
    {
        var rows = await statement.RowsAsync<CodeRow>(ct);
        return new IssueSummaryBody(
            rows.Select(row => new IssueCount(row.Code, IssueTitles.For(row.Code), row.Count)).ToList());
    }

    private sealed class CodeRow
    {
        public required string Code { get; init; }
        public long Count { get; init; }
    }
}
