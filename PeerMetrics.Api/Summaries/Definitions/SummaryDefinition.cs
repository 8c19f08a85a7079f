using System.Text.Json;

namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>
/// One summary of the dashboard, defined once: its route, its cache label, its response type and how it is
/// computed (its statement, raw and rollup forms, and the mapping of its rows to the body). Route mapping, OpenAPI metadata, the cache, the Prewarmer's list, the tests and the benchmark all
/// derive from these definitions (<see cref="SummaryCatalog"/>).
/// </summary>
public abstract class SummaryDefinition(string route, string label, string tag, string description, SummarySql sql)
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

    /// <summary>The statement the summary reads, raw and from the rollups.</summary>
    public SummarySql Sql { get; } = sql;

    public abstract Type ResponseType { get; }

    /// <summary>Computes the response body from the rows <paramref name="rows"/> reads and serializes it: the bytes the cache keeps.</summary>
    public abstract Task<byte[]> ComputeJsonAsync(SummaryQuery query, ISummaryRows rows, JsonSerializerOptions json,
        CancellationToken cancellationToken);
}

/// <summary>A summary whose body is a <typeparamref name="TBody"/>.</summary>
public sealed class SummaryDefinition<TBody>(
    string route, string label, string tag, string description, SummarySql sql,
    Func<SummaryStatement, CancellationToken, Task<TBody>> map)
    : SummaryDefinition(route, label, tag, description, sql)
{
    public override Type ResponseType => typeof(TBody);

    public override async Task<byte[]> ComputeJsonAsync(SummaryQuery query, ISummaryRows rows, JsonSerializerOptions json,
        CancellationToken cancellationToken)
    {
        var value = await map(new SummaryStatement(rows, Sql, query), cancellationToken);
        using var activity = ApiTelemetry.Source.StartActivity("summary.serialize");
        return JsonSerializer.SerializeToUtf8Bytes(value, json);
    }
}
