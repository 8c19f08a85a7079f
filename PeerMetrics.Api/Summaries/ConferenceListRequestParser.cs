using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Problems;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// Parses the drill-down's query (<c>GET /v1/conferences</c>) into a <see cref="ConferenceListRequest"/>.
/// Unlike a summary's, every parameter is optional, a value is trimmed and an empty one counts as absent; UUIDs,
/// dates and the <c>created_at_gte</c>/<c>created_at_lte</c> order are checked by
/// <see cref="SummaryRequestParser"/>'s value parsers, with the same problems.
/// </summary>
public static class ConferenceListRequestParser
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    public const int MaxConferenceIds = 1000;

    // Postgres text cannot hold NUL, and a code is short printable text: anything else matches no issue, so it
    // is refused up front rather than failing the statement.
    private const int MaxIssueCodeLength = 200;

    private const string SameDates = "ISO 8601 as for the summaries, used exactly (no minute rounding).";

    private static readonly QueryParameter AppId = new(SummaryRequestParser.AppId.Name, QueryValue.Uuid,
        "Conferences of this app (`app.id`). An app of another organization, or none, is 404 `app_not_found`. " +
        "Omitted: every active app of the caller's organization.");

    private static readonly QueryParameter ParticipantId = new("participantId", QueryValue.Uuid,
        "Conferences this participant joined: the participant row's id (`participant.id`), linked through " +
        "`participant_conferences`.");

    private static readonly QueryParameter CreatedAtGt = new("created_at_gt", QueryValue.Instant,
        "Conferences created after this instant. " + SameDates);

    private static readonly QueryParameter CreatedAtGte = new(SummaryRequestParser.CreatedAtGte.Name, QueryValue.Instant,
        "Conferences created at or after this instant. " + SameDates);

    private static readonly QueryParameter CreatedAtLt = new("created_at_lt", QueryValue.Instant,
        "Conferences created before this instant. " + SameDates);

    private static readonly QueryParameter CreatedAtLte = new(SummaryRequestParser.CreatedAtLte.Name, QueryValue.Instant,
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

    public readonly record struct Result(ConferenceListRequest Value, ProblemHttpResult? Problem);

    /// <summary>The validated request, or the first problem in the order the parameters are listed.</summary>
    public static Result Parse(IQueryCollection query)
    {
        if (!Filters.Any(parameter => Value(query, parameter) is not null))
        {
            return Fail(ApiProblems.MissingParameter(
                $"At least one filter is required: {string.Join(", ", Filters.Select(parameter => parameter.Name))}"));
        }

        if (!TryUuid(query, AppId, out var appId, out var problem)
            || !TryUuid(query, ParticipantId, out var participantId, out problem)
            || !TryInstant(query, CreatedAtGt, out var gt, out problem)
            || !TryInstant(query, CreatedAtGte, out var gte, out problem)
            || !TryInstant(query, CreatedAtLt, out var lt, out problem)
            || !TryInstant(query, CreatedAtLte, out var lte, out problem)
            || !TryInteger(query, DurationGte, out var durationGte, out problem)
            || !TryInteger(query, DurationLt, out var durationLt, out problem)
            || !TryIssueCode(query, out var issueCode, out problem)
            || !TryConferenceIds(query, out var conferenceIds, out problem)
            || !TryPage(query, out var page, out problem))
        {
            return Fail(problem!);
        }
        if (SummaryRequestParser.BoundsProblem(gte, lte) is { } misordered)
        {
            return Fail(misordered);
        }

        return new Result(new ConferenceListRequest(appId, participantId, gt, gte, lt, lte, durationGte, durationLt,
            issueCode, conferenceIds, page), null);
    }

    /// <summary>A parameter's trimmed value; null when absent or blank, which count the same.</summary>
    private static string? Value(IQueryCollection query, QueryParameter parameter) =>
        query.TryGetValue(parameter.Name, out var raw) && !StringValues.IsNullOrEmpty(raw) && !string.IsNullOrWhiteSpace(raw.ToString())
            ? raw.ToString().Trim()
            : null;

    private delegate bool ValueParser<T>(string name, string text, out T value, out ProblemHttpResult? problem);

    /// <summary>An optional parameter: absent or blank leaves <paramref name="value"/> null; unparseable is a 400.</summary>
    private static bool TryOptional<T>(
        IQueryCollection query, QueryParameter parameter, ValueParser<T> parse, out T? value, out ProblemHttpResult? problem)
        where T : struct
    {
        value = null;
        problem = null;
        if (Value(query, parameter) is not { } text)
        {
            return true;
        }
        if (!parse(parameter.Name, text, out var parsed, out problem))
        {
            return false;
        }
        value = parsed;
        return true;
    }

    private static bool TryUuid(IQueryCollection query, QueryParameter parameter, out Guid? value, out ProblemHttpResult? problem) =>
        TryOptional(query, parameter, SummaryRequestParser.TryParseUuid, out value, out problem);

    private static bool TryInstant(IQueryCollection query, QueryParameter parameter, out DateTime? value, out ProblemHttpResult? problem) =>
        TryOptional(query, parameter, SummaryRequestParser.TryParseInstant, out value, out problem);

    private static bool TryInteger(IQueryCollection query, QueryParameter parameter, out int? value, out ProblemHttpResult? problem) =>
        TryOptional(query, parameter, TryParseInteger, out value, out problem);

    private static bool TryParseInteger(string name, string text, out int value, out ProblemHttpResult? problem)
    {
        problem = int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
            ? null
            : ApiProblems.InvalidParameter($"{name} is not an integer");
        return problem is null;
    }

    private static bool TryIssueCode(IQueryCollection query, out string? value, out ProblemHttpResult? problem)
    {
        value = Value(query, IssueCode);
        problem = value is not null && (value.Length > MaxIssueCodeLength || value.Any(char.IsControl))
            ? ApiProblems.InvalidParameter($"{IssueCode.Name} must be at most {MaxIssueCodeLength} printable characters")
            : null;
        return problem is null;
    }

    private static bool TryConferenceIds(IQueryCollection query, out Guid[]? value, out ProblemHttpResult? problem)
    {
        value = null;
        problem = null;
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
    private static bool TryPage(IQueryCollection query, out ConferencePage? page, out ProblemHttpResult? problem)
    {
        page = null;
        problem = null;
        if (!query.ContainsKey(Limit.Name) && !query.ContainsKey(Offset.Name))
        {
            return true;
        }
        if (!TryInteger(query, Limit, out var limit, out problem)
            || !TryInteger(query, Offset, out var offset, out problem))
        {
            return false;
        }
        if (offset < 0)
        {
            problem = ApiProblems.InvalidParameter($"{Offset.Name} must be 0 or more");
            return false;
        }
        page = new ConferencePage(Math.Clamp(limit ?? DefaultLimit, 1, MaxLimit), offset ?? 0);
        return true;
    }

    private static Result Fail(ProblemHttpResult problem) => new(default!, problem);
}
