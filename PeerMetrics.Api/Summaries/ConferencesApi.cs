namespace PeerMetrics.Api.Summaries;

/// <summary>The conferences summaries: status by day, duration distribution, participant-count distribution.</summary>
public static class ConferencesApi
{
    private const string Tag = "Conferences";

    public sealed record DaySummary(string Date, long Success, long Warning, long Error, long Ongoing, long Total);

    public sealed record DaySummaryBody(IReadOnlyList<DaySummary> Data);

    public sealed record DurationBucket(string Range, int MinSec, int? MaxSec, long Count);

    public sealed record DurationSummaryBody(IReadOnlyList<DurationBucket> Data);

    public sealed record ParticipantCount(int Participants, long Conferences);

    public sealed record ParticipantCountBody(IReadOnlyList<ParticipantCount> Data, long TotalConferences);

    // The window selects conferences; every active issue of a selected conference decides its status,
    // whenever the issue was created. Ongoing wins over any issue. Set-based (the issues of the selected
    // conferences aggregated once) so Postgres can hash-join a big app and nested-loop a small one.
    private const string StatusByDaySql = """
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

    // The same rows from the rollups (peermetrics_rollups, docs/rollups.md): the window's whole days, hours and
    // tens of minutes and the remaining minutes, each read from the coarsest level that covers it.
    private const string StatusByDayRollupSql = """
        SELECT to_char((r.bucket AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS "Date",
               sum(r.success)::bigint AS "Success",
               sum(r.warning)::bigint AS "Warning",
               sum(r.error)::bigint   AS "Error",
               sum(r.ongoing)::bigint AS "Ongoing",
               sum(r.total)::bigint   AS "Total"
        FROM peermetrics_rollups.window_parts(@from, @until) w
        CROSS JOIN LATERAL (
            -- OFFSET 0: one index range scan per part, whatever the planner guesses about the ranges.
            SELECT * FROM peermetrics_rollups.conference_status b
            WHERE b.app_id = @app AND b.level = w.lvl AND b.bucket >= w.lo AND b.bucket < w.hi
            OFFSET 0
        ) r
        GROUP BY (r.bucket AT TIME ZONE 'UTC')::date
        ORDER BY (r.bucket AT TIME ZONE 'UTC')::date
        """;

    // width_bucket against the buckets' lower bounds gives the 1-based bucket of each duration.
    private const string DurationsSql = """
        SELECT width_bucket(c.duration, @lower_bounds) AS "Bucket", count(*) AS "Count"
        FROM conference c
        WHERE c.app_id = @app AND c.is_active
          AND c.created_at >= coalesce(@from, '-infinity') AND c.created_at < coalesce(@until, 'infinity')
        GROUP BY 1
        """;

    // The rollups keep each bucket's lower bound, which width_bucket maps to the same 1-based bucket.
    private const string DurationsRollupSql = """
        SELECT width_bucket(r.duration_from, @lower_bounds) AS "Bucket", sum(r.conferences)::bigint AS "Count"
        FROM peermetrics_rollups.window_parts(@from, @until) w
        CROSS JOIN LATERAL (
            -- OFFSET 0: one index range scan per part, whatever the planner guesses about the ranges.
            SELECT * FROM peermetrics_rollups.conference_duration b
            WHERE b.app_id = @app AND b.level = w.lvl AND b.bucket >= w.lo AND b.bucket < w.hi
            OFFSET 0
        ) r
        GROUP BY 1
        ORDER BY 1
        """;

    // A participant is present in a conference when linked to it, active, not an SFU, and with at least one
    // session in that conference (the session's own is_active is not checked, as in the peermetrics API).
    // Conferences nobody attended count under 0. The links are the driving rows: the few participants who
    // never count (inactive or SFU) are excluded through their own small partial index, and the session
    // check is a semi-join on (conference_id, participant_id) — no join against every participant.
    private const string ParticipantCountsSql = """
        WITH selected AS (
            SELECT c.id
            FROM conference c
            WHERE c.app_id = @app AND c.is_active
              AND c.created_at >= coalesce(@from, '-infinity') AND c.created_at < coalesce(@until, 'infinity')
        ), present AS (
            SELECT pc.conference_id, count(*) AS participants
            FROM participant_conferences pc
            WHERE pc.conference_id IN (SELECT id FROM selected)
              AND NOT EXISTS (SELECT 1 FROM participant p
                              WHERE p.id = pc.participant_id AND (NOT p.is_active OR p.is_sfu))
              AND EXISTS (SELECT 1 FROM app_session s
                          WHERE s.conference_id = pc.conference_id AND s.participant_id = pc.participant_id)
            GROUP BY pc.conference_id
        )
        SELECT coalesce(present.participants, 0)::int AS "Participants", count(*) AS "Conferences"
        FROM selected
        LEFT JOIN present ON present.conference_id = selected.id
        GROUP BY 1
        ORDER BY 1
        """;

    private const string ParticipantCountsRollupSql = """
        SELECT r.participants AS "Participants", sum(r.conferences)::bigint AS "Conferences"
        FROM peermetrics_rollups.window_parts(@from, @until) w
        CROSS JOIN LATERAL (
            -- OFFSET 0: one index range scan per part, whatever the planner guesses about the ranges.
            SELECT * FROM peermetrics_rollups.conference_participants b
            WHERE b.app_id = @app AND b.level = w.lvl AND b.bucket >= w.lo AND b.bucket < w.hi
            OFFSET 0
        ) r
        GROUP BY 1
        ORDER BY 1
        """;

    /// <summary>The 12 duration buckets, <c>[min, max)</c> in seconds, with the contract's exact labels.</summary>
    public static readonly IReadOnlyList<(string Range, int MinSec, int? MaxSec)> DurationBuckets =
    [
        ("< 1 m", 0, 60),
        ("1 - 3 m", 60, 180),
        ("3 - 5 m", 180, 300),
        ("5 - 10 m", 300, 600),
        ("10 - 15 m", 600, 900),
        ("15 - 20 m", 900, 1200),
        ("20 - 25 m", 1200, 1500),
        ("25 - 30 m", 1500, 1800),
        ("30 - 40 m", 1800, 2400),
        ("40 - 50 m", 2400, 3000),
        ("50 - 60 m", 3000, 3600),
        ("> 60 m", 3600, null),
    ];

    private static readonly int[] DurationLowerBounds = DurationBuckets.Select(bucket => bucket.MinSec).ToArray();

    // The definitions come after the statements they are built from: static fields initialize in order.
    public static readonly SummaryDefinition<DaySummaryBody> StatusByDay = new(
        "/v1/conferences/summary", "conferences.summary", Tag,
        "Conferences of the app per UTC day, by status (ongoing, error, warning, success).",
        new SummarySql(StatusByDaySql, StatusByDayRollupSql), GetStatusByDay);

    public static readonly SummaryDefinition<DurationSummaryBody> Durations = new(
        "/v1/conferences/duration-summary", "conferences.duration_summary", Tag,
        "Conferences of the app in the 12 duration buckets, always all of them.",
        new SummarySql(DurationsSql, DurationsRollupSql, Ordered: false,
            () => [SqlParameters.Integers("lower_bounds", DurationLowerBounds)]),
        GetDurations);

    public static readonly SummaryDefinition<ParticipantCountBody> ParticipantCounts = new(
        "/v1/conferences/participant-count-summary", "conferences.participant_count_summary", Tag,
        "How many conferences had k present participants (active, not SFU, with a session).",
        new SummarySql(ParticipantCountsSql, ParticipantCountsRollupSql), GetParticipantCounts);

    private static async Task<DaySummaryBody> GetStatusByDay(SummaryStatement statement, CancellationToken ct)
    {
        var days = await statement.RowsAsync<DayRow>(ct);
        return new DaySummaryBody(
            days.Select(day => new DaySummary(day.Date, day.Success, day.Warning, day.Error, day.Ongoing, day.Total)).ToList());
    }

    private static async Task<DurationSummaryBody> GetDurations(SummaryStatement statement, CancellationToken ct)
    {
        var counts = (await statement.RowsAsync<BucketRow>(ct))
            .ToDictionary(row => row.Bucket, row => row.Count);
        return new DurationSummaryBody(
            DurationBuckets.Select((bucket, index) =>
                new DurationBucket(bucket.Range, bucket.MinSec, bucket.MaxSec, counts.GetValueOrDefault(index + 1))).ToList());
    }

    private static async Task<ParticipantCountBody> GetParticipantCounts(SummaryStatement statement, CancellationToken ct)
    {
        var rows = await statement.RowsAsync<ParticipantCountRow>(ct);
        return new ParticipantCountBody(
            rows.Select(row => new ParticipantCount(row.Participants, row.Conferences)).ToList(),
            rows.Sum(row => row.Conferences));
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

    private sealed class BucketRow
    {
        public int Bucket { get; init; }
        public long Count { get; init; }
    }

    private sealed class ParticipantCountRow
    {
        public int Participants { get; init; }
        public long Conferences { get; init; }
    }
}
