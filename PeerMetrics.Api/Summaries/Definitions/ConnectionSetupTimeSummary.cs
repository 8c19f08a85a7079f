using System.ComponentModel.DataAnnotations.Schema;

namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary><c>/v1/connections/setup-time-summary</c>: the app's connections by setup time of their first negotiation.</summary>
public static class ConnectionSetupTimeSummary
{
    public sealed record SetupTimeBucket(string Range, int MinMs, int? MaxMs, int Count, IReadOnlyList<Guid> ConferenceIds);

    public sealed record SetupTimeSummary(IReadOnlyList<SetupTimeBucket> Data);

    /// <summary>The contract's 11 buckets, in ms.</summary>
    public static readonly BucketTable Buckets = new("ms", 1, 0, 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000);

    // Connection c's first negotiation (n.first, n.connected), the texts of its times when it reached
    // "connected", and the setup-time bucket of its parsed times (below): shared with the rollup cells
    // (Rollups/Install/connection-cells.sql).
    internal const string FirstNegotiation = """
        CROSS JOIN LATERAL (
            SELECT c.connection_info -> 'negotiations' -> 0 AS first,
                   jsonb_typeof(c.connection_info) = 'object'
                   AND jsonb_typeof(c.connection_info -> 'negotiations') = 'array'
                   AND jsonb_typeof(c.connection_info -> 'negotiations' -> 0) = 'object'
                   AND c.connection_info -> 'negotiations' -> 0 -> 'status' = '"connected"' AS connected
        ) n
        """;

    internal const string SetupTexts = """
        CASE WHEN n.connected AND jsonb_typeof(n.first -> 'start_time') = 'string'
             THEN n.first ->> 'start_time' END AS start_text,
        CASE WHEN n.connected AND jsonb_typeof(n.first -> 'end_time') = 'string'
             THEN n.first ->> 'end_time' END AS end_text
        """;

    // The 0-based bucket of a setup time from start_at to end_at: width_bucket over the buckets' upper bounds.
    internal static readonly string SetupBucket =
        $"width_bucket(date_part('epoch', end_at - start_at) * 1000, {Buckets.UpperBoundsSql}::float8[])";

    // No braces in these statements: EF formats raw SQL with string.Format when it has parameters.
    // The first negotiation of each connection counts when it reached "connected" (a "stable" renegotiation
    // or a failed attempt has no setup time). Its times are text written by Python, parsed by
    // SummarySqlTime.Instant, which never raises: a malformed value skips its connection only.
    // The JSON tests stay out of WHERE on purpose: Postgres cannot estimate them, and a near-zero row
    // estimate there turned the join to conference into ~50k index probes. A connection that does not
    // qualify simply gets NULL texts, hence NULL instants, and drops out at "end_at >= start_at".
    // MATERIALIZED keeps texts and instants as plain columns; otherwise the planner would copy the parse
    // expression into every reference of them.
    private static readonly string RawSql = $$"""
        WITH negotiation AS MATERIALIZED (
            SELECT c.conference_id,
                   {{SetupTexts}}
            FROM app_connection c
            JOIN conference f ON f.id = c.conference_id
            {{FirstNegotiation}}
            WHERE f.app_id = @app
              AND c.is_active
              AND c.created_at >= coalesce(@from, '-infinity')
              AND c.created_at < coalesce(@until, 'infinity')
        ),
        timed AS MATERIALIZED (
            SELECT conference_id,
                   {{SummarySqlTime.Instant("start_text")}} AS start_at,
                   {{SummarySqlTime.Instant("end_text")}} AS end_at
            FROM negotiation
        )
        -- Exact microsecond difference, no rounding: 249.999 ms is still "< 250 ms". (float8 is exact
        -- enough: the bounds are multiples of 0.25 s, exactly representable, and a value 1 µs away from
        -- a bound stays on its side.)
        SELECT {{SetupBucket}} AS bucket,
               count(*)::int AS count,
               array_agg(DISTINCT conference_id ORDER BY conference_id) AS conference_ids
        FROM timed
        WHERE end_at >= start_at
        GROUP BY 1
        """;

    // The same rows from the rollups: counts add up; each rollup row lists its distinct conference ids,
    // merged here into one sorted distinct list per bucket.
    private static readonly string RollupSql = $"""
        WITH parts AS MATERIALIZED (
            SELECT r.setup_bucket, r.connections, r.conference_ids
            {RollupWindow.Read("connection_setup")}
        ), counts AS (
            SELECT setup_bucket, sum(connections)::int AS count FROM parts GROUP BY setup_bucket
        ), ids AS (
            SELECT p.setup_bucket, array_agg(DISTINCT x.id ORDER BY x.id) AS conference_ids
            FROM parts p CROSS JOIN LATERAL unnest(p.conference_ids) x (id)
            GROUP BY p.setup_bucket
        )
        SELECT counts.setup_bucket AS bucket, counts.count, ids.conference_ids
        FROM counts
        JOIN ids ON ids.setup_bucket = counts.setup_bucket
        ORDER BY 1
        """;

    // After the statements it is built from: static fields initialize in order.
    public static readonly SummaryDefinition<SetupTimeSummary> Definition = new(
        "/v1/connections/setup-time-summary", "connections.setup_time_summary", "Connections",
        "Connections of the app by setup time of their first negotiation",
        new SummarySql(RawSql, RollupSql, Ordered: false), MapAsync);

    private sealed record BucketRow(
        [property: Column("bucket")] int Bucket,
        [property: Column("count")] int Count,
        [property: Column("conference_ids")] Guid[] ConferenceIds);

    private static async Task<SetupTimeSummary> MapAsync(SummaryStatement statement, CancellationToken ct)
    {
        var rows = (await statement.RowsAsync<BucketRow>(ct)).ToDictionary(row => row.Bucket);

        // All eleven buckets, zero-filled, in contract order.
        var buckets = Buckets.Rows.Select((bucket, index) => rows.TryGetValue(index, out var row)
                ? new SetupTimeBucket(bucket.Range, bucket.Min, bucket.Max, row.Count, row.ConferenceIds)
                : new SetupTimeBucket(bucket.Range, bucket.Min, bucket.Max, 0, []))
            .ToList();
        return new SetupTimeSummary(buckets);
    }
}
