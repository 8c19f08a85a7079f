namespace PeerMetrics.Api.Summaries;

/// <summary>The unpaged answer, <c>{"data": […]}</c>; its rows are serialized as they are read.</summary>
public sealed record ConferenceListBody(IAsyncEnumerable<ConferenceRow> Data);

/// <summary>The paged answer, <c>{"results": […], "count": N}</c>: one page and the count of all matches.</summary>
public sealed record ConferencePageBody(IReadOnlyList<ConferenceRow> Results, long Count);

/// <summary>
/// Writes <c>{"data": […]}</c> while the rows are read, holding the organization's compute slot until the last
/// row is written.
/// </summary>
public sealed class ConferenceStream(IDisposable slot, IAsyncEnumerable<ConferenceRow> rows) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        using (slot)
        {
            await httpContext.Response.WriteAsJsonAsync(new ConferenceListBody(rows), httpContext.RequestAborted);
        }
    }
}
