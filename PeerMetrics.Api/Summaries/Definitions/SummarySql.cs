using Npgsql;

namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>Where a summary's rows come from.</summary>
public enum SummarySource
{
    /// <summary>The peermetrics tables themselves: the answer the rollups must equal.</summary>
    Raw,

    /// <summary>
    /// The write-time rollups (docs/rollups.md): the same rows, at a cost independent of the data size; the raw
    /// rows whenever the rollups are not current in the reading snapshot.
    /// </summary>
    Rollups,
}

/// <summary>
/// A summary's statement in its two forms, which take the same parameters (<c>@app</c>, <c>@from</c>, <c>@until</c>)
/// and return the same rows. <paramref name="Ordered"/> is false when the row
/// order is left to the planner (the summary reads the rows into a dictionary): compare those as sets.
/// </summary>
public sealed record SummarySql(string Raw, string Rollup, bool Ordered = true)
{
    public string For(SummarySource source) => source == SummarySource.Rollups ? Rollup : Raw;

    /// <summary>The app and the window (new instances: a parameter belongs to one command).</summary>
    public NpgsqlParameter[] ParametersFor(SummaryQuery query) => SqlParameters.ForSummary(query);
}

/// <summary>
/// Reads a statement's rows for a query. The summaries only map rows to bodies; the reader decides which form of
/// the statement answers (the Api's <c>SummaryDatabase</c>: raw rows or the rollups).
/// </summary>
public interface ISummaryRows
{
    Task<List<TRow>> ReadAsync<TRow>(SummarySql sql, SummaryQuery query, CancellationToken cancellationToken);
}

/// <summary>One summary's statement bound to a query and a reader: what a summary's mapping reads its rows from.</summary>
public readonly record struct SummaryStatement(ISummaryRows Reader, SummarySql Sql, SummaryQuery Query)
{
    public Task<List<TRow>> RowsAsync<TRow>(CancellationToken cancellationToken) =>
        Reader.ReadAsync<TRow>(Sql, Query, cancellationToken);
}
