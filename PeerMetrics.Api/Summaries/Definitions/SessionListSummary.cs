using System.ComponentModel.DataAnnotations.Schema;

namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary><c>/v1/sessions/summary</c>: browsers, operating systems, countries and cities of the app's sessions.</summary>
public static class SessionListSummary
{
    public sealed record NamedCount(string Name, int Count);

    public sealed record CountryCount(string Code, int Count);

    public sealed record CityCount(string City, double Latitude, double Longitude, int Count);

    public sealed record SessionsSummary(
        IReadOnlyList<NamedCount> Browsers,
        IReadOnlyList<NamedCount> Os,
        IReadOnlyList<CountryCount> Countries,
        IReadOnlyList<CityCount> Cities);

    // What the lists read of session s and of its geo_ip g (the lateral below): shared with the rollup cells
    // (Rollups/Install/session-cells.sql). Declared before the statements that embed them (static fields initialize in order).
    internal const string GeoIp = """
        CROSS JOIN LATERAL (
            SELECT geo_ip,
                   CASE WHEN jsonb_typeof(geo_ip -> 'city') = 'string' THEN nullif(geo_ip ->> 'city', '') END AS city
            FROM (SELECT CASE WHEN jsonb_typeof(s.geo_ip) = 'object' THEN s.geo_ip END AS geo_ip) o
        ) g
        """;

    internal static readonly string SessionValues = $$"""
        jsonb_typeof(s.platform) = 'object' AND s.platform <> jsonb_build_object() AS has_platform,
        CASE WHEN jsonb_typeof(s.platform -> 'browser' -> 'name') = 'string'
             THEN nullif(s.platform -> 'browser' ->> 'name', '') END AS browser,
        CASE WHEN jsonb_typeof(s.platform -> 'os' -> 'name') = 'string'
             THEN nullif(s.platform -> 'os' ->> 'name', '') END AS os,
        CASE WHEN jsonb_typeof(g.geo_ip -> 'country_code') = 'string'
             THEN nullif(g.geo_ip ->> 'country_code', '') END AS country,
        g.city,
        CASE WHEN g.city IS NOT NULL THEN {{Coordinate("g.geo_ip", "latitude")}} END AS latitude,
        CASE WHEN g.city IS NOT NULL THEN {{Coordinate("g.geo_ip", "longitude")}} END AS longitude
        """;

    // What each list counts a session as, from the columns of SessionValues: its browser and os when it has a
    // platform ("Unknown" for a missing name), its country, and its city only with coordinates other than (0, 0).
    // NULL: not in that list. Shared with the rollup cells like the values themselves.
    internal const string ListedValues = """
        CASE WHEN has_platform THEN coalesce(browser, 'Unknown') END AS browser,
        CASE WHEN has_platform THEN coalesce(os, 'Unknown') END AS os,
        country,
        CASE WHEN city IS NOT NULL AND latitude IS NOT NULL AND longitude IS NOT NULL
                  AND NOT (latitude = 0 AND longitude = 0) THEN city END AS city
        """;

    // One statement: the app's sessions are read once (a CTE used four times is materialized), each reduced
    // to what it is listed as, then grouped per list and returned as rows tagged by kind, already in
    // response order (count descending, then name in ordinal order).
    // Only object-valued platform/geo_ip are read; '->' on anything else yields NULL, never an error.
    // No braces in the statement ('{}' is jsonb_build_object()): EF formats raw SQL with string.Format.
    // The JSON is parsed once per session (session_values, materialized); listed_values, inlined into each list,
    // reads plain columns: materialized instead, its CASEs would copy the parse expressions into every use.
    private static readonly string RawSql = $$"""
        WITH session_values AS MATERIALIZED (
            SELECT s.id,
                   s.created_at,
                   {{SessionValues}}
            FROM app_session s
            JOIN conference f ON f.id = s.conference_id
            {{GeoIp}}
            WHERE f.app_id = @app
              AND s.is_active
              AND s.created_at >= coalesce(@from, '-infinity')
              AND s.created_at < coalesce(@until, 'infinity')
        ),
        listed_values AS NOT MATERIALIZED (
            SELECT id, created_at, {{ListedValues}}, latitude, longitude
            FROM session_values
        ),
        listed AS (
            SELECT 1 AS kind, browser AS name, count(*)::int AS count,
                   NULL::float8 AS latitude, NULL::float8 AS longitude
            FROM listed_values WHERE browser IS NOT NULL GROUP BY 2
            UNION ALL
            SELECT 2, os, count(*)::int, NULL, NULL
            FROM listed_values WHERE os IS NOT NULL GROUP BY 2
            UNION ALL
            SELECT 3, country, count(*)::int, NULL, NULL
            FROM listed_values WHERE country IS NOT NULL GROUP BY 2
            UNION ALL
            -- A city's coordinates are those of its earliest counted session.
            SELECT 4, city, count(*)::int,
                   (array_agg(latitude ORDER BY created_at, id))[1],
                   (array_agg(longitude ORDER BY created_at, id))[1]
            FROM listed_values WHERE city IS NOT NULL GROUP BY 2
        )
        SELECT kind, name, count, latitude, longitude
        FROM listed
        ORDER BY kind, count DESC, name COLLATE "C"
        """;

    // The same rows from the rollups (docs/rollups.md): counts add up; a city's coordinates are those of the
    // rollup row whose earliest session, by (created_at, id), is the earliest.
    private static readonly string RollupSql = $"""
        SELECT r.kind::int AS kind, r.name, sum(r.sessions)::int AS count,
               (array_agg(r.latitude ORDER BY r.first_at, r.first_id))[1] AS latitude,
               (array_agg(r.longitude ORDER BY r.first_at, r.first_id))[1] AS longitude
        {RollupWindow.Read("session_list")}
        GROUP BY r.kind, r.name
        ORDER BY r.kind, sum(r.sessions) DESC, r.name COLLATE "C"
        """;

    // A coordinate as float8, or NULL when it is not a number: a JSON number, or a string holding one (App
    // Engine headers store "37.342"). A plain decimal shorter than 300 characters cannot overflow or
    // underflow float8, so it is cast directly (jsonb prints numbers as plain decimals too); anything else
    // in a string (exponents, text, NaN) goes to jsonpath .double() in silent mode, which yields NULL
    // instead of raising ('strict' keeps arrays from being unwrapped). jsonpath is several times slower,
    // so it stays off the common path.
    private static string Coordinate(string geoIp, string key) => $$"""
        CASE jsonb_typeof({{geoIp}} -> '{{key}}')
            WHEN 'number' THEN
                CASE WHEN length({{geoIp}} ->> '{{key}}') < 300 THEN ({{geoIp}} ->> '{{key}}')::float8 END
            WHEN 'string' THEN
                CASE WHEN length({{geoIp}} ->> '{{key}}') < 300
                      AND {{geoIp}} ->> '{{key}}' ~ '^ *[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+) *$'
                     THEN ({{geoIp}} ->> '{{key}}')::float8
                     ELSE jsonb_path_query_first({{geoIp}}, 'strict $.{{key}}.double()', silent => true)::float8
                END
        END
        """;

    private sealed record ListRow(
        [property: Column("kind")] int Kind,
        [property: Column("name")] string Name,
        [property: Column("count")] int Count,
        [property: Column("latitude")] double? Latitude,
        [property: Column("longitude")] double? Longitude);

    // After the statements it is built from: static fields initialize in order.
    public static readonly SummaryDefinition<SessionsSummary> Definition = new(
        "/v1/sessions/summary", "sessions.summary", "Sessions",
        "Sessions of the app by browser, operating system, country and city",
        new SummarySql(RawSql, RollupSql), MapAsync);

    private static async Task<SessionsSummary> MapAsync(SummaryStatement statement, CancellationToken ct)
    {
        var rows = await statement.RowsAsync<ListRow>(ct);

        // The rows arrive in response order; only the split by kind is left.
        IEnumerable<ListRow> Of(int kind) => rows.Where(row => row.Kind == kind);
        return new SessionsSummary(
            Of(1).Select(row => new NamedCount(row.Name, row.Count)).ToList(),
            Of(2).Select(row => new NamedCount(row.Name, row.Count)).ToList(),
            Of(3).Select(row => new CountryCount(row.Name, row.Count)).ToList(),
            Of(4).Select(row => new CityCount(row.Name, row.Latitude!.Value, row.Longitude!.Value, row.Count)).ToList());
    }
}
