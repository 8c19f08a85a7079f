using PeerMetrics.Api.Summaries.Definitions;
using System.Globalization;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// <c>summary:&lt;label&gt;:&lt;organization&gt;:&lt;app&gt;:&lt;from&gt;:&lt;until&gt;</c>: one entry per organization, app
/// and minute-normalized window, readable in Redis (all of an app's entries share a prefix). Every part has a
/// fixed alphabet without ':', so distinct queries never share a key. Other query parameters never reach it.
/// Plain text rather than a digest: hashing cost a sixth of a cache hit's time. Written in one piece, as every
/// request builds it.
/// </summary>
public static class SummaryCacheKey
{
    public const string Prefix = "summary:";

    public static string For(string label, SummaryQuery query) => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix}{label}:{query.OrganizationId:N}:{query.AppId:N}:{new Minute(query.Window.From)}:{new Minute(query.Window.Until)}");

    /// <summary>A window bound to the minute (no ':' inside), or <c>-</c> when open; formatted in place, not as a string of its own.</summary>
    private readonly struct Minute(DateTime? instant) : ISpanFormattable
    {
        private const string Format = "yyyyMMdd'T'HHmm'Z'";

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        {
            if (instant is { } value)
            {
                return value.TryFormat(destination, out charsWritten, Format, CultureInfo.InvariantCulture);
            }
            if (destination.IsEmpty)
            {
                charsWritten = 0;
                return false;
            }
            destination[0] = '-';
            charsWritten = 1;
            return true;
        }

        public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

        public override string ToString() => instant?.ToString(Format, CultureInfo.InvariantCulture) ?? "-";
    }
}
