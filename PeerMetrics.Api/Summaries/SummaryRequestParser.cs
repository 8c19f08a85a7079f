using Microsoft.AspNetCore.Http.HttpResults;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Problems;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// Parses the query parameters every summary shares: <c>appId</c>, <c>created_at_gte</c>, <c>created_at_lte</c>.
/// Its value parsers and the bounds check are also the drill-down's (<see cref="ConferenceListRequestParser"/>), so
/// both routes refuse a bad UUID or date with the same problem.
/// </summary>
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
        if (!TryParseUuid(AppId.Name, appId.Count == 1 ? appId.ToString() : null, out var app, out var problem))
        {
            return Fail(problem!);
        }

        if (!TryParseInstant(query, CreatedAtGte.Name, out var gte, out problem)
            || !TryParseInstant(query, CreatedAtLte.Name, out var lte, out problem))
        {
            return Fail(problem!);
        }
        if (BoundsProblem(gte, lte) is { } misordered)
        {
            return Fail(misordered);
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
        if (!TryParseInstant(name, raw.Count == 1 ? raw.ToString() : null, out var parsed, out problem))
        {
            return false;
        }
        value = parsed;
        return true;
    }

    /// <summary>
    /// Parses a date parameter's value (null: not one value); a refusal is a 400 that says whether the value is
    /// not a date at all or a date outside the accepted range.
    /// </summary>
    public static bool TryParseInstant(string name, string? text, out DateTime value, out ProblemHttpResult? problem)
    {
        problem = TimeWindow.TryParseInstant(text, out value) ? null
            : ApiProblems.InvalidParameter(TimeWindow.TryParseAnyInstant(text, out _)
                ? $"{name} must be {TimeWindow.RangeText}"
                : $"{name} is not an ISO 8601 date");
        return problem is null;
    }

    /// <summary>Parses a UUID parameter's value (null: not one value); a refusal is a 400.</summary>
    public static bool TryParseUuid(string name, string? text, out Guid value, out ProblemHttpResult? problem)
    {
        problem = Guid.TryParse(text, out value) ? null : ApiProblems.InvalidParameter($"{name} is not a UUID");
        return problem is null;
    }

    /// <summary>The 400 for a <c>created_at_gte</c> after <c>created_at_lte</c>, or null when they are in order.</summary>
    public static ProblemHttpResult? BoundsProblem(DateTime? gte, DateTime? lte) =>
        gte > lte ? ApiProblems.InvalidParameter($"{CreatedAtGte.Name} is after {CreatedAtLte.Name}") : null;

    private static Result Fail(ProblemHttpResult problem) => new(default, problem);
}
