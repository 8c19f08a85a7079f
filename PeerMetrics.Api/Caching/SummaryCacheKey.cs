using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PeerMetrics.Api.Summaries;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// <c>summary:&lt;label&gt;:&lt;digest&gt;</c>: readable by summary in Redis, one entry per organization, app and
/// minute-normalized window. Other query parameters never reach the key.
/// </summary>
public static class SummaryCacheKey
{
    public const string Prefix = "summary:";

    public static string For(string summary, SummaryQuery query)
    {
        var identity = string.Create(CultureInfo.InvariantCulture,
            $"{summary}|org={query.OrganizationId:N}|app={query.AppId:N}|from={Format(query.Window.From)}|until={Format(query.Window.Until)}");
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(identity));
        return $"{Prefix}{summary}:{Convert.ToHexStringLower(digest, 0, 8)}";
    }

    private static string Format(DateTime? instant) =>
        instant?.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture) ?? "-";
}
