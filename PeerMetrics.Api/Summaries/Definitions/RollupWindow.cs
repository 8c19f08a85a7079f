namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>
/// How every rollup statement reads its window: <c>peermetrics_rollups.window_parts</c> cuts <c>[@from, @until)</c>
/// into its whole days, hours and tens of minutes and the remaining minutes, each read from the coarsest level
/// that covers it (docs/rollups.md). Written once so the eight statements read the rollups the same way.
/// </summary>
internal static class RollupWindow
{
    /// <summary>
    /// The <c>FROM</c> clause over the app's rows of the rollup table <paramref name="table"/> in the window,
    /// aliased <c>r</c>.
    /// </summary>
    public static string Read(string table) => $"""
        FROM peermetrics_rollups.window_parts(@from, @until) w
        CROSS JOIN LATERAL (
            -- OFFSET 0: one index range scan per part, whatever the planner guesses about the ranges.
            SELECT * FROM peermetrics_rollups.{table} b
            WHERE b.app_id = @app AND b.level = w.lvl AND b.bucket >= w.lo AND b.bucket < w.hi
            OFFSET 0
        ) r
        """;
}
