using System.Globalization;

namespace PeerMetrics.Testing;

/// <summary>Requests as the dashboard sends them.</summary>
public static class DashboardRequests
{
    /// <summary>The dashboard's default window: now − 30 days, to the millisecond, as JS <c>toISOString</c> writes it.</summary>
    public static string DefaultWindowUrl(string route, Guid appId) =>
        $"{route}?appId={appId}&created_at_gte={DateTime.UtcNow.AddDays(-30).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}";
}
