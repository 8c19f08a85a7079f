using PeerMetrics.Api.Summaries.Definitions;
using System.Globalization;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// <c>summary:&lt;label&gt;:&lt;organization&gt;:&lt;app&gt;:&lt;from&gt;:&lt;until&gt;</c>: one entry per organization, app
/// and minute-normalized window, readable in Redis (all of an app's entries share a prefix). Every part has a
/// fixed alphabet without ':', so distinct queries never share a key. Other query parameters never reach it.
/// Plain text rather than a digest: hashing cost a sixth of a cache hit's time.
/// </summary>
public static class SummaryCacheKey
{
    public const string Prefix = "summary:";

    public static string For(string label, SummaryQuery query) => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix}{label}:{query.OrganizationId:N}:{query.AppId:N}:{Format(query.Window.From)}:{Format(query.Window.Until)}");

    // Minute precision, as the window is normalized; no ':' inside a part.
    private static string Format(DateTime? instant) =>
        instant?.ToString("yyyyMMdd'T'HHmm'Z'", CultureInfo.InvariantCulture) ?? "-";
}
