namespace PeerMetrics.Api.Summaries;

/// <summary>
/// A validated summary request: the app (already checked to belong to the caller's organization) and the
/// minute-normalized window. Produced once per request by the summaries' endpoint filter; handlers and
/// the cache both read this same value, so a cache key always describes exactly what was computed.
/// </summary>
public sealed record SummaryQuery(Guid OrganizationId, Guid AppId, TimeWindow Window)
{
    private static readonly object ItemKey = new();

    internal void Attach(HttpContext context) => context.Items[ItemKey] = this;

    internal static SummaryQuery? From(HttpContext context) => context.Items[ItemKey] as SummaryQuery;

    /// <summary>Minimal-API binding: handlers declare a <see cref="SummaryQuery"/> parameter.</summary>
    public static ValueTask<SummaryQuery?> BindAsync(HttpContext context) => ValueTask.FromResult(From(context));
}
