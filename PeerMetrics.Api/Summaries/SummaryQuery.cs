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

    // Minimal APIs bind parameters BEFORE endpoint filters run, so at binding time the filter has not
    // validated anything yet. Binding must not fail (that would be a bare 400, or an exception under
    // ThrowOnBadRequest in Development): it yields this placeholder, which SummaryQueryFilter replaces with
    // the validated query. Without the filter a handler would only see an app that owns no rows.
    internal static readonly SummaryQuery Unvalidated = new(Guid.Empty, Guid.Empty, TimeWindow.Unbounded);

    /// <summary>Minimal-API binding: handlers declare a <see cref="SummaryQuery"/> parameter.</summary>
    public static ValueTask<SummaryQuery?> BindAsync(HttpContext context) => ValueTask.FromResult<SummaryQuery?>(From(context) ?? Unvalidated);
}
