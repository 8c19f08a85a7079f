using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Summaries;

/// <summary>The drill-down's one statement, with only the filters a <see cref="ConferenceListRequest"/> gives.</summary>
internal static class ConferenceListSql
{
    // One statement: the matching conferences once each (IN/EXISTS, never a join that multiplies them), their
    // count, and the requested page with its per-row facts. The outer LEFT JOIN keeps the count row when the
    // page is empty. Only the filters given are spliced in (fixed fragments, values always parameters):
    // "@x IS NULL OR …" hides semi-joins from the planner, and its bad estimates even trigger JIT.
    private const string Template = $"""
        WITH matched AS (
            SELECT c.id, c.created_at
            FROM conference c
            WHERE c.is_active
              AND c.app_id IN (SELECT a.id FROM app a WHERE a.organization_id = @org AND a.is_active)
              /*filters*/
        ), page AS (
            SELECT m.id FROM matched m ORDER BY m.created_at, m.id LIMIT @limit OFFSET @offset
        )
        SELECT total.count AS "Total",
               c.id AS "Id", c.conference_id AS "ConferenceId", c.conference_name AS "ConferenceName",
               c.conference_info::text AS "ConferenceInfo", c.start_time AS "StartTime", c.call_start AS "CallStart",
               c.end_time AS "EndTime", c.ongoing AS "Ongoing", c.duration AS "Duration", c.app_id AS "App",
               c.created_at AS "CreatedAt",
               coalesce(issues.has_errors, false) AS "HasErrors",
               coalesce(issues.has_warnings, false) AS "HasWarnings",
               present.participants AS "ParticipantsCount"
        FROM (SELECT count(*) AS count FROM matched) total
        LEFT JOIN page ON true
        LEFT JOIN conference c ON c.id = page.id
        -- Per page row only (lateral: always an index lookup per row, never a scan of all issues).
        LEFT JOIN LATERAL (
            SELECT bool_or(i.type = 'e') AS has_errors, bool_or(i.type = 'w') AS has_warnings
            FROM app_issue i
            WHERE i.conference_id = c.id AND i.is_active
        ) issues ON true
        LEFT JOIN LATERAL (
            SELECT count(*)::int AS participants
            FROM participant_conferences pc
            WHERE pc.conference_id = c.id AND {ParticipantCountSummary.Present}
        ) present ON true
        ORDER BY c.created_at, c.id
        """;

    /// <summary>The statement for <paramref name="request"/>; it reads the parameters <see cref="Parameters"/> makes.</summary>
    public static string For(ConferenceListRequest request)
    {
        var conditions = new List<string>();
        void When(bool given, string condition)
        {
            if (given)
            {
                conditions.Add(condition);
            }
        }

        When(request.AppId is not null, "c.app_id = @app");
        When(request.ParticipantId is not null,
            "c.id IN (SELECT pc.conference_id FROM participant_conferences pc WHERE pc.participant_id = @participant)");
        When(request.CreatedAtGt is not null, "c.created_at > @gt");
        When(request.CreatedAtGte is not null, "c.created_at >= @gte");
        When(request.CreatedAtLt is not null, "c.created_at < @lt");
        When(request.CreatedAtLte is not null, "c.created_at <= @lte");
        When(request.DurationGte is not null, "c.duration >= @duration_gte");
        When(request.DurationLt is not null, "c.duration < @duration_lt");
        When(request.IssueCode is not null,
            "EXISTS (SELECT 1 FROM app_issue i WHERE i.conference_id = c.id AND i.is_active AND i.code = @issue_code)");
        When(request.ConferenceIds is not null, "c.id = ANY (@ids)");
        return Template.Replace("/*filters*/", string.Concat(conditions.Select(condition => "AND " + condition + "\n              ")),
            StringComparison.Ordinal);
    }

    /// <summary>Every parameter of the statement, typed (an absent filter is a typed NULL the statement does not read).</summary>
    public static object[] Parameters(Guid organizationId, ConferenceListRequest request) =>
    [
        SqlParameters.Uuid("org", organizationId),
        SqlParameters.Uuid("app", request.AppId),
        SqlParameters.Uuid("participant", request.ParticipantId),
        SqlParameters.Timestamp("gt", request.CreatedAtGt),
        SqlParameters.Timestamp("gte", request.CreatedAtGte),
        SqlParameters.Timestamp("lt", request.CreatedAtLt),
        SqlParameters.Timestamp("lte", request.CreatedAtLte),
        SqlParameters.Integer("duration_gte", request.DurationGte),
        SqlParameters.Integer("duration_lt", request.DurationLt),
        SqlParameters.Text("issue_code", request.IssueCode),
        SqlParameters.Uuids("ids", request.ConferenceIds),
        SqlParameters.Integer("limit", request.Page?.Limit),
        SqlParameters.Integer("offset", request.Page?.Offset ?? 0),
    ];
}
