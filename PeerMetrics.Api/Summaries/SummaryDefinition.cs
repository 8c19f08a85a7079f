using System.Text.Json;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// One summary of the dashboard, defined once: its route, its cache label, its response type and how it is
/// computed. Route mapping, OpenAPI metadata, the cache, the Prewarmer's list, the tests and the benchmark all
/// derive from these definitions (<see cref="SummaryCatalog"/>).
/// </summary>
public abstract class SummaryDefinition(string route, string label, string tag, string description)
{
    /// <summary>The full path, e.g. <c>/v1/conferences/summary</c>.</summary>
    public string Route { get; } = route;

    /// <summary>
    /// The stable name of the summary: part of every Redis key (<c>summary:&lt;label&gt;:…</c>), the metric tag and
    /// the OpenAPI operation id. Changing it orphans every cached entry.
    /// </summary>
    public string Label { get; } = label;

    /// <summary>The OpenAPI tag (the dashboard area).</summary>
    public string Tag { get; } = tag;

    /// <summary>One line for the OpenAPI document.</summary>
    public string Description { get; } = description;

    public abstract Type ResponseType { get; }

    /// <summary>Computes the response body from the database and serializes it: the bytes the cache keeps.</summary>
    public abstract Task<byte[]> ComputeJsonAsync(
        SummaryQuery query, SummaryDatabase database, JsonSerializerOptions json, CancellationToken cancellationToken);
}

/// <summary>A summary whose body is a <typeparamref name="TBody"/>.</summary>
public sealed class SummaryDefinition<TBody>(
    string route, string label, string tag, string description,
    Func<SummaryQuery, SummaryDatabase, CancellationToken, Task<TBody>> compute)
    : SummaryDefinition(route, label, tag, description)
{
    public override Type ResponseType => typeof(TBody);

    public Task<TBody> ComputeAsync(SummaryQuery query, SummaryDatabase database, CancellationToken cancellationToken) =>
        compute(query, database, cancellationToken);

    public override async Task<byte[]> ComputeJsonAsync(
        SummaryQuery query, SummaryDatabase database, JsonSerializerOptions json, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeToUtf8Bytes(await compute(query, database, cancellationToken), json);
}
