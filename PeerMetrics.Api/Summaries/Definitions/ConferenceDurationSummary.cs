namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary><c>/v1/conferences/duration-summary</c>: the app's conferences in the 12 duration buckets.</summary>
public static class ConferenceDurationSummary
{
    public sealed record DurationBucket(string Range, int MinSec, int? MaxSec, long Count);

    public sealed record DurationSummaryBody(IReadOnlyList<DurationBucket> Data);

    /// <summary>The 12 duration buckets, in seconds, labelled in minutes as the contract labels them.</summary>
    public static readonly BucketTable Buckets = new("m", 60, 0, 60, 180, 300, 600, 900, 1200, 1500, 1800, 2400, 3000, 3600);

    // The buckets' lower bounds as SQL: width_bucket against them gives the 1-based bucket of a duration.
    private static readonly string LowerBounds = Buckets.LowerBoundsSql;

    /// <summary>The lower bound of conference c's duration bucket: what the rollup cells keep.</summary>
    internal static readonly string DurationFrom = $"({LowerBounds})[width_bucket(c.duration, {LowerBounds})]";

    private static readonly string RawSql = $"""
        SELECT width_bucket(c.duration, {LowerBounds}) AS "Bucket", count(*) AS "Count"
        FROM conference c
        WHERE c.app_id = @app AND c.is_active
          AND c.created_at >= coalesce(@from, '-infinity') AND c.created_at < coalesce(@until, 'infinity')
        GROUP BY 1
        """;

    // The rollups keep each bucket's lower bound, which width_bucket maps to the same 1-based bucket.
    private static readonly string RollupSql = $"""
        SELECT width_bucket(r.duration_from, {LowerBounds}) AS "Bucket", sum(r.conferences)::bigint AS "Count"
        {RollupWindow.Read("conference_duration")}
        GROUP BY 1
        ORDER BY 1
        """;

    // After the statements it is built from: static fields initialize in order.
    public static readonly SummaryDefinition<DurationSummaryBody> Definition = new(
        "/v1/conferences/duration-summary", "conferences.duration_summary", "Conferences",
        "Conferences of the app in the 12 duration buckets, always all of them.",
        new SummarySql(RawSql, RollupSql, Ordered: false), MapAsync);

    private static async Task<DurationSummaryBody> MapAsync(SummaryStatement statement, CancellationToken ct)
    {
        var counts = (await statement.RowsAsync<BucketRow>(ct))
            .ToDictionary(row => row.Bucket, row => row.Count);
        return new DurationSummaryBody(
            Buckets.Rows.Select((bucket, index) =>
                new DurationBucket(bucket.Range, bucket.Min, bucket.Max, counts.GetValueOrDefault(index + 1))).ToList());
    }

    private sealed class BucketRow
    {
        public int Bucket { get; init; }
        public long Count { get; init; }
    }
}
