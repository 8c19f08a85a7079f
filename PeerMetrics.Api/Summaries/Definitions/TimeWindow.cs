using System.Globalization;

namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>
/// A UTC window with an inclusive start and an exclusive end, either side open. The contract's minute rule
/// lives here and only here: <c>created_at_gte</c> is floored to the minute; <c>created_at_lte</c> is floored
/// to the minute and extended to the start of the next one. The cache key and the SQL both use this value,
/// so a cached body is always what a cold compute of its key returns.
/// </summary>
public readonly record struct TimeWindow(DateTime? From, DateTime? Until)
{
    // ISO 8601 date-times as browsers and scripts send them: with or without seconds and fraction; `Z`,
    // an offset, or nothing (= UTC).
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mmK",
    ];

    /// <summary>The earliest instant a parameter may name: 0001-01-01T00:00:00Z.</summary>
    public static readonly DateTime MinInstant = new(1, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// The latest instant a parameter may name: the last tick of 9998 (UTC). Every window the service derives
    /// from an accepted instant then stays a finite, representable value: the minute rule adds a minute to
    /// <c>created_at_lte</c>, and Npgsql sends <see cref="DateTime.MaxValue"/> as <c>infinity</c>.
    /// </summary>
    public static readonly DateTime MaxInstant = new DateTime(9999, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(-1);

    /// <summary>The accepted range, as problem details state it.</summary>
    public const string RangeText = "between 0001-01-01T00:00:00Z and 9998-12-31T23:59:59.9999999Z";

    /// <summary>
    /// Parses an ISO 8601 date-time to a UTC instant within [<see cref="MinInstant"/>, <see cref="MaxInstant"/>];
    /// false for anything else (unparseable, or out of that range once converted to UTC).
    /// </summary>
    public static bool TryParseInstant(string? text, out DateTime utc) =>
        TryParseAnyInstant(text, out utc) && utc >= MinInstant && utc <= MaxInstant;

    /// <summary>True when <paramref name="text"/> is an ISO 8601 date-time, whatever its year.</summary>
    public static bool TryParseAnyInstant(string? text, out DateTime utc)
    {
        if (DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            utc = parsed.UtcDateTime;
            return true;
        }
        utc = default;
        return false;
    }

    /// <summary>Builds the normalized window from already-parsed bounds (either may be absent).</summary>
    public static TimeWindow FromBounds(DateTime? gte, DateTime? lte) =>
        new(gte is { } from ? FloorToMinute(from) : null,
            lte is { } to ? FloorToMinute(to).AddMinutes(1) : null);

    private static DateTime FloorToMinute(DateTime utc) =>
        new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
}
