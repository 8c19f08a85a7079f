namespace PeerMetrics.Api.Summaries;

/// <summary>
/// A validated summary request: the app (already checked to belong to the caller's organization) and the
/// minute-normalized window. Produced once per request by the summaries' endpoint filter and carried as the
/// handler's argument; the cache reads that same argument, so a cache key always describes exactly what was
/// computed.
/// </summary>
public sealed record SummaryQuery(Guid OrganizationId, Guid AppId, TimeWindow Window)
{
    // Minimal APIs bind parameters BEFORE endpoint filters run, so at binding time nothing is validated yet.
    // Binding must not fail (that would be a bare 400, or an exception under ThrowOnBadRequest in
    // Development): it yields this placeholder, which SummaryQueryFilter replaces with the validated query.
    // Without the filter a handler would only see an app that owns no rows.
    private static readonly SummaryQuery Unvalidated = new(Guid.Empty, Guid.Empty, TimeWindow.Unbounded);

    /// <summary>Minimal-API binding: handlers declare a <see cref="SummaryQuery"/> parameter.</summary>
    public static ValueTask<SummaryQuery?> BindAsync(HttpContext context) => ValueTask.FromResult<SummaryQuery?>(Unvalidated);

    /// <summary>Puts the validated query in place of the bound placeholder.</summary>
    internal static void Replace(EndpointFilterInvocationContext context, SummaryQuery query)
    {
        for (var i = 0; i < context.Arguments.Count; i++)
        {
            if (context.Arguments[i] is SummaryQuery)
            {
                context.Arguments[i] = query;
            }
        }
    }

    /// <summary>The validated query of this invocation, or null before <see cref="SummaryQueryFilter"/> ran.</summary>
    internal static SummaryQuery? From(EndpointFilterInvocationContext context)
    {
        foreach (var argument in context.Arguments)
        {
            if (argument is SummaryQuery query && !ReferenceEquals(query, Unvalidated))
            {
                return query;
            }
        }
        return null;
    }
}
