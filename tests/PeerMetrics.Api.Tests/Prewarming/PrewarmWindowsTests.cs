using PeerMetrics.Api.Summaries.Definitions;
using PeerMetrics.Prewarmer;

namespace PeerMetrics.Api.Tests.Prewarming;

public sealed class PrewarmWindowsTests
{
    [Fact]
    public void A_cycle_refreshes_the_key_in_use_and_the_next_minutes_key()
    {
        var now = new DateTimeOffset(2026, 3, 28, 12, 34, 56, 789, TimeSpan.Zero);

        var windows = PrewarmWindows.For(now, TimeSpan.FromDays(30));

        Assert.Equal([new DateTime(2026, 2, 26, 12, 34, 0, DateTimeKind.Utc), new DateTime(2026, 2, 26, 12, 35, 0, DateTimeKind.Utc)], windows);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(29_999)]
    [InlineData(59_999)]
    public void Any_default_window_request_of_this_minute_or_the_next_uses_a_refreshed_key(int millisecondsIntoMinute)
    {
        var minute = new DateTimeOffset(2026, 3, 28, 12, 34, 0, TimeSpan.Zero);
        var refreshed = PrewarmWindows.For(minute.AddMilliseconds(millisecondsIntoMinute), TimeSpan.FromDays(30));

        // What the Api keys a dashboard's "now − 30 days" by, now and one minute later.
        foreach (var dashboardNow in new[] { minute.AddMilliseconds(millisecondsIntoMinute), minute.AddMinutes(1).AddMilliseconds(millisecondsIntoMinute) })
        {
            var key = TimeWindow.FromBounds(dashboardNow.UtcDateTime.AddDays(-30), null).From;
            Assert.Contains(key!.Value, refreshed);
        }
    }
}
