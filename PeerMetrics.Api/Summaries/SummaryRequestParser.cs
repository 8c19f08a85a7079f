using Microsoft.AspNetCore.Http.HttpResults;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Problems;

namespace PeerMetrics.Api.Summaries;

/// <summary>Parses the query parameters every summary shares: <c>appId</c>, <c>created_at_gte</c>, <c>created_at_lte</c>.</summary>
public static class SummaryRequestParser
{
    public static readonly QueryParameter AppId = new("appId", QueryValue.Uuid,
        "The app to summarize (`app.id`). An app of another organization, or none, is 404 `app_not_found`.",
        Required: true);

    public static readonly QueryParameter CreatedAtGte = new("created_at_gte", QueryValue.Instant,
        "Counts rows created at or after this instant, floored to the minute. ISO 8601 (`2026-03-28T17:13:18.382Z`, " +
        $"any offset; none = UTC), {TimeWindow.RangeText}. Omitted: no lower bound.");

    public static readonly QueryParameter CreatedAtLte = new("created_at_lte", QueryValue.Instant,
        "Counts rows created up to the end of this instant's minute. ISO 8601 like `created_at_gte`, not before it. " +
        "Omitted: no upper bound.");

    /// <summary>Every query parameter a summary reads; the OpenAPI document declares these.</summary>
    public static readonly IReadOnlyList<QueryParameter> Parameters = [AppId, CreatedAtGte, CreatedAtLte];

    public readonly record struct Result((Guid AppId, TimeWindow Window) Value, ProblemHttpResult? Problem);

    public static Result Parse(IQueryCollection query)
    {
        var appId = query[AppId.Name];
        if (appId.Count == 0 || string.IsNullOrWhiteSpace(appId.ToString()))
        {
            return Fail(ApiProblems.MissingParameter($"{AppId.Name} is required"));
        }
        if (appId.Count > 1 || !Guid.TryParse(appId.ToString(), out var app))
        {
            return Fail(ApiProblems.InvalidParameter($"{AppId.Name} is not a UUID"));
        }

        if (!TryParseInstant(query, CreatedAtGte.Name, out var gte, out var problem)
            || !TryParseInstant(query, CreatedAtLte.Name, out var lte, out problem))
        {
            return Fail(problem!);
        }
        if (gte > lte)
        {
            return Fail(ApiProblems.InvalidParameter($"{CreatedAtGte.Name} is after {CreatedAtLte.Name}"));
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
