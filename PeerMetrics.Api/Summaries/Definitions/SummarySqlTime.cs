namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>
/// SQL that turns a text time (as the peermetrics API stores negotiation times) into a timestamptz, or NULL when it
/// is not one. It must never raise: <c>'2024-02-30 10:00:00'::timestamptz</c> fails the whole statement, and
/// Postgres 15 has no error-free cast. So the text is first proven well-formed (shape, then field ranges,
/// day-of-month included) and only then cast, inside nested CASEs, whose order Postgres guarantees.
/// </summary>
internal static class SummarySqlTime
{
    // Accepted: "YYYY-MM-DD HH:MM:SS" with a 'T' or a space, an optional fraction, and an optional 'Z' or
    // offset (+HH, +HHMM, +HH:MM; at most 15:59, Postgres' limit). No offset means UTC.
    // The regex has no counted repetition on purpose: Postgres builds its DFA on every call, and
    // {4}-style patterns made it ~10x slower. The LIKE pins the separators, so each digit run has its width.
    private const string Shape =
        @"'^[0-9]+-[0-9]+-[0-9]+[T ][0-9]+:[0-9]+:[0-9]+(\.[0-9]+)?(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)?$'";

    /// <summary>A timestamptz expression over the text column <paramref name="text"/> (NULL if unparseable).</summary>
    public static string Instant(string text) => $"""
        CASE WHEN {text} ~ {Shape} AND {text} LIKE '____-__-_____:__:__%'
             THEN CASE WHEN left({text}, 4)::int >= 1
                        AND substr({text}, 6, 2)::int BETWEEN 1 AND 12
                        AND substr({text}, 9, 2)::int BETWEEN 1 AND {DaysInMonth(text)}
                        AND substr({text}, 12, 2)::int <= 23
                        AND substr({text}, 15, 2)::int <= 59
                        AND substr({text}, 18, 2)::int <= 59
                       THEN ({text} || CASE WHEN {HasOffset(text)} THEN '' ELSE '+00' END)::timestamptz
                  END
        END
        """;

    private static string DaysInMonth(string text) => $"""
        CASE substr({text}, 6, 2)::int
            WHEN 2 THEN CASE WHEN left({text}, 4)::int % 4 = 0
                              AND (left({text}, 4)::int % 100 <> 0 OR left({text}, 4)::int % 400 = 0)
                             THEN 29 ELSE 28 END
            WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30
            ELSE 31
        END
        """;

    // Past the seconds only a fraction (digits) or the offset can follow; a sign or 'Z' means an offset.
    private static string HasOffset(string text) =>
        $"(substr({text}, 20) LIKE '%+%' OR substr({text}, 20) LIKE '%-%' OR right({text}, 1) = 'Z')";
}
