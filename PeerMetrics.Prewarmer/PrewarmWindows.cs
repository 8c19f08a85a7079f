namespace PeerMetrics.Prewarmer;

/// <summary>
/// Which <c>created_at_gte</c> values a cycle refreshes.
/// </summary>
/// <remarks>
/// The dashboard sends <c>created_at_gte = now − 30 days</c> to the millisecond, and the Api keys it by that
/// instant floored to the minute. Thirty days is a whole number of minutes, so during minute <c>m</c> every
/// dashboard request lands on the key <c>m − 30 d</c>, and at the rollover all of them move to
/// <c>m + 1 − 30 d</c> at once. Refreshing only the current key would leave that next key cold at every
/// rollover, so each cycle refreshes both the current minute's key and the next one's:
/// <list type="bullet">
/// <item>Cycles start every <c>Interval</c> (30 s), so each minute contains a cycle start in its first half;
/// when the cycle takes less than 30 s, that cycle has written the next minute's key before the minute
/// starts.</item>
/// <item>A key is in use for one minute and is refreshed by every cycle from the minute before it until its
/// own minute ends, i.e. at least every <c>Interval</c> + cycle-duration jitter, which is below the 60 s TTL;
/// the last refresh happens in the second half of its own minute, so it outlives the minute.</item>
/// </list>
/// Refreshing the next minute's key also covers dashboards whose clock runs up to a minute ahead of the
/// Prewarmer's.
/// </remarks>
public static class PrewarmWindows
{
    public static IReadOnlyList<DateTime> For(DateTimeOffset now, TimeSpan defaultWindow)
    {
        var utc = now.UtcDateTime;
        var currentMinute = new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        var current = currentMinute - defaultWindow;
        return [current, current.AddMinutes(1)];
    }
}
