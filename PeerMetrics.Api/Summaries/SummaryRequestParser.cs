using Microsoft.AspNetCore.Http.HttpResults;
using PeerMetrics.Api.Problems;

namespace PeerMetrics.Api.Summaries;

/// <summary>Parses the query parameters every summary shares: <c>appId</c>, <c>created_at_gte</c>, <c>created_at_lte</c>.</summary>
public static class SummaryRequestParser
{
    public readonly record struct Result((Guid AppId, TimeWindow Window) Value, ProblemHttpResult? Problem);

    public static Result Parse(IQueryCollection query)
    {
        var appId = query["appId"];
        if (appId.Count == 0 || string.IsNullOrWhiteSpace(appId.ToString()))
        {
            return Fail(ApiProblems.MissingParameter("appId is required"));
        }
        if (appId.Count > 1 || !Guid.TryParse(appId.ToString(), out var app))
        {
            return Fail(ApiProblems.InvalidParameter("appId is not a UUID"));
        }

        if (!TryParseInstant(query, "created_at_gte", out var gte, out var problem)
            || !TryParseInstant(query, "created_at_lte", out var lte, out problem))
        {
            return Fail(problem!);
        }
        if (gte > lte)
        {
            return Fail(ApiProblems.InvalidParameter("created_at_gte is after created_at_lte"));
        }

        return new Result((app, TimeWindow.FromBounds(gte, lte)), null);
    }

    /// <summary>Reads one optional ISO 8601 parameter; a present but unparseable value is a 400.</summary>
    public static bool TryParseInstant(IQueryCollection query, string name, out DateTime? value, out ProblemHttpResult? problem)
    {
        value = null;
        problem = null;
        if (!query.TryGetValue(name, out var raw))
        {
            return true;
        }
        if (raw.Count == 1 && TimeWindow.TryParseInstant(raw.ToString(), out var parsed))
        {
            value = parsed;
            return true;
        }
        problem = ApiProblems.InvalidParameter(InstantProblem(name, raw.Count == 1 ? raw.ToString() : null));
        return false;
    }

    /// <summary>Why a date parameter was refused: not a date at all, or a date outside the accepted range.</summary>
    public static string InstantProblem(string name, string? text) =>
        TimeWindow.TryParseAnyInstant(text, out _)
            ? $"{name} must be {TimeWindow.RangeText}"
            : $"{name} is not an ISO 8601 date";

    private static Result Fail(ProblemHttpResult problem) => new(default, problem);
}
