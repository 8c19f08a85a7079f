using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using PeerMetrics.Tokens;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Problems;

namespace PeerMetrics.Api.Summaries;

/// <summary>GET /v1/conferences: the drill-down list behind a chart bar.</summary>
/// <remarks>
/// Not a summary: it is not cached and takes its own filters. Choices where the contract is silent:
/// <list type="bullet">
/// <item>created_at_* filters use the exact instants given (the minute rule exists for the summaries' cache
/// keys; a drill-down is never cached), parsed exactly as the summaries parse them.</item>
/// <item><c>participantId</c> is the participant row's UUID (<c>participant.id</c>, what the dashboard has in
/// hand), not the SDK's participant_id string; "joined" means linked through participant_conferences.</item>
/// <item>A parameter given with an empty value counts as absent.</item>
/// <item>Without limit and offset the whole list is streamed as it is read (memory does not grow with the rows),
/// under the organization's compute bound (<see cref="ComputeLimiter"/>): it can be as costly as a summary.</item>
/// <item>Only active conferences are listed, like the summaries count them; <c>participants_count</c> uses the
/// participant-count-summary rule (active, not SFU, at least one session in the conference).</item>
/// </list>
/// </remarks>
public static class ConferenceListApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    public const int MaxConferenceIds = 1000;

    private const string SameDates = "ISO 8601 as for the summaries, used exactly (no minute rounding).";

    private static readonly QueryParameter AppId = new("appId", QueryValue.Uuid,
        "Conferences of this app (`app.id`). An app of another organization, or none, is 404 `app_not_found`. " +
        "Omitted: every active app of the caller's organization.");

    private static readonly QueryParameter ParticipantId = new("participantId", QueryValue.Uuid,
        "Conferences this participant joined: the participant row's id (`participant.id`), linked through " +
        "`participant_conferences`.");

    private static readonly QueryParameter CreatedAtGt = new("created_at_gt", QueryValue.Instant,
        "Conferences created after this instant. " + SameDates);

    private static readonly QueryParameter CreatedAtGte = new("created_at_gte", QueryValue.Instant,
        "Conferences created at or after this instant. " + SameDates);

    private static readonly QueryParameter CreatedAtLt = new("created_at_lt", QueryValue.Instant,
        "Conferences created before this instant. " + SameDates);

    private static readonly QueryParameter CreatedAtLte = new("created_at_lte", QueryValue.Instant,
        "Conferences created at or before this instant, not before `created_at_gte`. " + SameDates);

    private static readonly QueryParameter DurationGte = new("duration_gte", QueryValue.Integer,
        "Conferences whose `duration` is at least this many seconds.");

    private static readonly QueryParameter DurationLt = new("duration_lt", QueryValue.Integer,
        "Conferences whose `duration` is less than this many seconds.");

    private static readonly QueryParameter IssueCode = new("issue_code", QueryValue.Text,
        $"Conferences with at least one active issue of this code (e.g. `ice_failed`), each listed once. At most {MaxIssueCodeLength} printable characters.");

    private static readonly QueryParameter ConferenceIds = new("conference_ids", QueryValue.UuidList,
        $"Conferences with these ids (`conference.id`), comma-separated, at most {MaxConferenceIds}.");

    private static readonly QueryParameter Limit = new("limit", QueryValue.Integer,
        $"Page size: default {DefaultLimit}, clamped to 1-{MaxLimit}. With `limit` or `offset` the body is one page, " +
        "`{\"results\": [...], \"count\": N}`; with neither, `{\"data\": [...]}` holds every row.");

    private static readonly QueryParameter Offset = new("offset", QueryValue.Integer,
        "Rows to skip, 0 or more (default 0); like `limit`, it switches to one page.");

    /// <summary>The filters; at least one is required.</summary>
    private static readonly IReadOnlyList<QueryParameter> Filters =
    [
        AppId, ParticipantId, CreatedAtGt, CreatedAtGte, CreatedAtLt, CreatedAtLte, DurationGte, DurationLt, IssueCode,
        ConferenceIds,
    ];

    /// <summary>Every query parameter the drill-down reads; the OpenAPI document declares these.</summary>
    public static readonly IReadOnlyList<QueryParameter> Parameters = [.. Filters, Limit, Offset];

    public static RouteGroupBuilder MapConferenceList(this RouteGroupBuilder group)
    {
        group.MapGet("/conferences", ListConferences)
            .WithName("conferences.list")
            .WithSummary("The conferences behind a chart bar, oldest first; paginated when limit or offset is given.")
            .WithDescription("At least one filter (any parameter but limit and offset) is required.")
            .WithTags("Conferences")
            .WithQueryParameters(Parameters)
            .Produces<ConferenceListBody>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return group;
    }

    public sealed record ConferenceRow(
        Guid Id,
        string ConferenceId,
        string? ConferenceName,
        JsonElement? ConferenceInfo,
        string? StartTime,
        string? CallStart,
        string? EndTime,
        bool Ongoing,
        int Duration,
        Guid App,
        string CreatedAt,
        bool HasErrors,
        bool HasWarnings,
        int ParticipantsCount);

    /// <summary>The unpaged answer, <c>{"data": […]}</c>; its rows are serialized as they are read.</summary>
    public sealed record ConferenceListBody(IAsyncEnumerable<ConferenceRow> Data);

    public sealed record ConferencePageBody(IReadOnlyList<ConferenceRow> Results, long Count);

    // One statement: the matching conferences once each (IN/EXISTS, never a join that multiplies them), their
    // count, and the requested page with its per-row facts. The outer LEFT JOIN keeps the count row when the
    // page is empty. Only the filters given are spliced in (fixed fragments, values always parameters):
    // "@x IS NULL OR …" hides semi-joins from the planner, and its bad estimates even trigger JIT.
    private const string ListSql = """
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
            JOIN participant p ON p.id = pc.participant_id
            WHERE pc.conference_id = c.id AND p.is_active AND NOT p.is_sfu
              AND EXISTS (SELECT 1 FROM app_session s
                          WHERE s.conference_id = c.id AND s.participant_id = pc.participant_id)
        ) present ON true
        ORDER BY c.created_at, c.id
        """;

    private static string BuildSql(ListFilter filter)
    {
        var conditions = new List<string>();
        void When(bool given, string condition)
        {
            if (given)
            {
                conditions.Add(condition);
            }
        }

        When(filter.AppId is not null, "c.app_id = @app");
        When(filter.ParticipantId is not null,
            "c.id IN (SELECT pc.conference_id FROM participant_conferences pc WHERE pc.participant_id = @participant)");
        When(filter.CreatedAtGt is not null, "c.created_at > @gt");
        When(filter.CreatedAtGte is not null, "c.created_at >= @gte");
        When(filter.CreatedAtLt is not null, "c.created_at < @lt");
        When(filter.CreatedAtLte is not null, "c.created_at <= @lte");
        When(filter.DurationGte is not null, "c.duration >= @duration_gte");
        When(filter.DurationLt is not null, "c.duration < @duration_lt");
        When(filter.IssueCode is not null,
            "EXISTS (SELECT 1 FROM app_issue i WHERE i.conference_id = c.id AND i.is_active AND i.code = @issue_code)");
        When(filter.ConferenceIds is not null, "c.id = ANY (@ids)");
        return ListSql.Replace("/*filters*/", string.Concat(conditions.Select(condition => "AND " + condition + "\n              ")),
            StringComparison.Ordinal);
    }

    private static async Task<Results<ConferenceStream, Ok<ConferencePageBody>, ProblemHttpResult>> ListConferences(
        HttpContext http, AppDirectory apps, ComputeLimiter limiter, PeerMetricsDbContext db,
        Microsoft.Extensions.Options.IOptions<DatabaseOptions> databaseOptions, CancellationToken ct)
    {
        if (!TryParse(http.Request.Query, out var filter, out var problem))
        {
            return problem;
        }

        var organizationId = http.User.GetOrganizationId();
        if (organizationId is null)
        {
            return ApiProblems.AppNotFoundResult();
        }
        if (filter.AppId is { } appId && await apps.FindOrganizationAsync(appId, ct) != organizationId)
        {
            return ApiProblems.AppNotFoundResult();
        }

        object[] parameters =
        [
            SqlParameters.Uuid("org", organizationId),
            SqlParameters.Uuid("app", filter.AppId),
            SqlParameters.Uuid("participant", filter.ParticipantId),
            SqlParameters.Timestamp("gt", filter.CreatedAtGt),
            SqlParameters.Timestamp("gte", filter.CreatedAtGte),
            SqlParameters.Timestamp("lt", filter.CreatedAtLt),
            SqlParameters.Timestamp("lte", filter.CreatedAtLte),
            SqlParameters.Integer("duration_gte", filter.DurationGte),
            SqlParameters.Integer("duration_lt", filter.DurationLt),
            SqlParameters.Text("issue_code", filter.IssueCode),
            SqlParameters.Uuids("ids", filter.ConferenceIds),
            SqlParameters.Integer("limit", filter.Page?.Limit),
            SqlParameters.Integer("offset", filter.Page?.Offset ?? 0),
        ];
        // Bounded work: past the timeout Npgsql cancels the statement on the server (503, never a 500).
        db.Database.SetCommandTimeout(databaseOptions.Value.StatementTimeoutSeconds);
        var rows = db.Database.SqlQueryRaw<ListRow>(BuildSql(filter), parameters);

        if (filter.Page is null)
        {
            IDisposable slot;
            try
            {
                slot = await limiter.AcquireAsync(organizationId.Value, ct);
            }
            catch (ComputeRejectedException rejected)
            {
                return rejected.ToProblem(http.Response);
            }
            return new ConferenceStream(slot, rows.AsAsyncEnumerable().Where(row => row.Id is not null).Select(ToConference));
        }

        var page = await rows.ToListAsync(ct);
        return TypedResults.Ok(new ConferencePageBody(
            page.Where(row => row.Id is not null).Select(ToConference).ToList(), page.Count == 0 ? 0 : page[0].Total));
    }

    /// <summary>
    /// Writes <c>{"data": […]}</c> while the rows are read, holding the organization's compute slot until the last
    /// row is written.
    /// </summary>
    public sealed class ConferenceStream(IDisposable slot, IAsyncEnumerable<ConferenceRow> rows) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using (slot)
            {
                await httpContext.Response.WriteAsJsonAsync(new ConferenceListBody(rows), httpContext.RequestAborted);
            }
        }
    }

    private sealed record Pagination(int Limit, int Offset);

    private sealed record ListFilter(
        Guid? AppId, Guid? ParticipantId,
        DateTime? CreatedAtGt, DateTime? CreatedAtGte, DateTime? CreatedAtLt, DateTime? CreatedAtLte,
        int? DurationGte, int? DurationLt, string? IssueCode, Guid[]? ConferenceIds, Pagination? Page);

    private static bool TryParse(IQueryCollection query, out ListFilter filter, out ProblemHttpResult problem)
    {
        filter = null!;
        problem = null!;
        if (!Filters.Any(parameter => Value(query, parameter) is not null))
        {
            problem = ApiProblems.MissingParameter(
                $"At least one filter is required: {string.Join(", ", Filters.Select(parameter => parameter.Name))}");
            return false;
        }

        Guid? appId = null, participantId = null;
        DateTime? gt = null, gte = null, lt = null, lte = null;
        int? durationGte = null, durationLt = null;
        Guid[]? conferenceIds = null;
        string? issueCode = null;
        Pagination? page = null;
        var valid =
            TryUuid(query, AppId, ref appId, ref problem)
            && TryUuid(query, ParticipantId, ref participantId, ref problem)
            && TryInstant(query, CreatedAtGt, ref gt, ref problem)
            && TryInstant(query, CreatedAtGte, ref gte, ref problem)
            && TryInstant(query, CreatedAtLt, ref lt, ref problem)
            && TryInstant(query, CreatedAtLte, ref lte, ref problem)
            && TryInteger(query, DurationGte, ref durationGte, ref problem)
            && TryInteger(query, DurationLt, ref durationLt, ref problem)
            && TryIssueCode(query, ref issueCode, ref problem)
            && TryConferenceIds(query, ref conferenceIds, ref problem)
            && TryPagination(query, ref page, ref problem);
        if (!valid)
        {
            return false;
        }
        if (gte > lte)
        {
            problem = ApiProblems.InvalidParameter($"{CreatedAtGte.Name} is after {CreatedAtLte.Name}");
            return false;
        }

        filter = new ListFilter(appId, participantId, gt, gte, lt, lte, durationGte, durationLt,
            issueCode, conferenceIds, page);
        return true;
    }

    private static string? Value(IQueryCollection query, QueryParameter parameter) =>
        query.TryGetValue(parameter.Name, out var raw) && !StringValues.IsNullOrEmpty(raw) && !string.IsNullOrWhiteSpace(raw.ToString())
            ? raw.ToString().Trim()
            : null;

    private delegate bool Parser<T>(string text, out T value);

    private static readonly Parser<int> ParseInteger = (string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static bool TryUuid(IQueryCollection query, QueryParameter parameter, ref Guid? value, ref ProblemHttpResult problem) =>
        TryOptional(query, parameter, Guid.TryParse, "a UUID", ref value, ref problem);

    private static bool TryInstant(IQueryCollection query, QueryParameter parameter, ref DateTime? value, ref ProblemHttpResult problem)
    {
        if (TryOptional(query, parameter, TimeWindow.TryParseInstant, "an ISO 8601 date", ref value, ref problem))
        {
            return true;
        }
        problem = ApiProblems.InvalidParameter(SummaryRequestParser.InstantProblem(parameter.Name, Value(query, parameter)));
        return false;
    }

    // Postgres text cannot hold NUL, and a code is short printable text: anything else matches no issue, so it
    // is refused up front rather than failing the statement.
    private const int MaxIssueCodeLength = 200;

    private static bool TryIssueCode(IQueryCollection query, ref string? value, ref ProblemHttpResult problem)
    {
        if (Value(query, IssueCode) is not { } text)
        {
            return true;
        }
        if (text.Length > MaxIssueCodeLength || text.Any(char.IsControl))
        {
            problem = ApiProblems.InvalidParameter($"{IssueCode.Name} must be at most {MaxIssueCodeLength} printable characters");
            return false;
        }
        value = text;
        return true;
    }

    private static bool TryInteger(IQueryCollection query, QueryParameter parameter, ref int? value, ref ProblemHttpResult problem) =>
        TryOptional(query, parameter, ParseInteger, "an integer", ref value, ref problem);

    /// <summary>An optional parameter: absent or blank leaves <paramref name="value"/> unset; unparseable is a 400.</summary>
    private static bool TryOptional<T>(
        IQueryCollection query, QueryParameter parameter, Parser<T> parse, string expected, ref T? value, ref ProblemHttpResult problem)
        where T : struct
    {
        if (Value(query, parameter) is not { } text)
        {
            return true;
        }
        if (parse(text, out var parsed))
        {
            value = parsed;
            return true;
        }
        problem = ApiProblems.InvalidParameter($"{parameter.Name} is not {expected}");
        return false;
    }

    private static bool TryConferenceIds(IQueryCollection query, ref Guid[]? value, ref ProblemHttpResult problem)
    {
        if (Value(query, ConferenceIds) is not { } text)
        {
            return true;
        }
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > MaxConferenceIds)
        {
            problem = ApiProblems.InvalidParameter($"{ConferenceIds.Name} has more than {MaxConferenceIds} ids");
            return false;
        }
        var ids = new Guid[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!Guid.TryParse(parts[i], out ids[i]))
            {
                problem = ApiProblems.InvalidParameter($"{ConferenceIds.Name} must be comma-separated UUIDs");
                return false;
            }
        }
        value = ids;
        return true;
    }

    // Pagination is opt-in: either parameter present (even empty) switches to {"results", "count"}.
    private static bool TryPagination(IQueryCollection query, ref Pagination? page, ref ProblemHttpResult problem)
    {
        if (!query.ContainsKey(Limit.Name) && !query.ContainsKey(Offset.Name))
        {
            return true;
        }
        int? limit = null, offset = null;
        if (!TryInteger(query, Limit, ref limit, ref problem) || !TryInteger(query, Offset, ref offset, ref problem))
        {
            return false;
        }
        if (offset < 0)
        {
            problem = ApiProblems.InvalidParameter($"{Offset.Name} must be 0 or more");
            return false;
        }
        page = new Pagination(Math.Clamp(limit ?? DefaultLimit, 1, MaxLimit), offset ?? 0);
        return true;
    }

    private static ConferenceRow ToConference(ListRow row) => new(
        row.Id!.Value, row.ConferenceId!, row.ConferenceName,
        row.ConferenceInfo is null ? null : JsonDocument.Parse(row.ConferenceInfo).RootElement.Clone(),
        Naive(row.StartTime), Naive(row.CallStart), Naive(row.EndTime), row.Ongoing!.Value, row.Duration!.Value,
        row.App!.Value, Naive(row.CreatedAt)!, row.HasErrors!.Value, row.HasWarnings!.Value, row.ParticipantsCount!.Value);

    // The peermetrics API's str(datetime) of a naive UTC value; always with the microseconds, as the contract writes it.
    private static string? Naive(DateTime? utc) =>
        utc?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    // Every column but Total is NULL on the single row of an empty page.
    private sealed class ListRow
    {
        public long Total { get; init; }
        public Guid? Id { get; init; }
        public string? ConferenceId { get; init; }
        public string? ConferenceName { get; init; }
        public string? ConferenceInfo { get; init; }
        public DateTime? StartTime { get; init; }
        public DateTime? CallStart { get; init; }
        public DateTime? EndTime { get; init; }
        public bool? Ongoing { get; init; }
        public int? Duration { get; init; }
        public Guid? App { get; init; }
        public DateTime? CreatedAt { get; init; }
        public bool? HasErrors { get; init; }
        public bool? HasWarnings { get; init; }
        public int? ParticipantsCount { get; init; }
    }
}
