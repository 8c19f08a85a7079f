using System.Data;
using Microsoft.EntityFrameworkCore;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Rollups;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// Runs a summary's statement. A singleton that takes a pooled DbContext only to run a query: a cache hit rents none.
/// </summary>
public sealed class SummaryDatabase(IServiceScopeFactory scopes, RollupsMonitor rollups)
{
    // The rollups answer exactly when, in the reading snapshot, they are ready, every trigger logs, and no logged
    // change waits to be applied: then they reflect every row committed before the snapshot.
    private static readonly string CurrentSql = $"""
        SELECT s.phase = 'ready'
               AND NOT EXISTS (SELECT 1 FROM {RollupsSql.Schema}.change_log)
               AND {RollupsSql.Schema}.triggers_ok() AS "Value"
        FROM {RollupsSql.Schema}.state s
        """;

    /// <summary>
    /// The statement's rows for the query. Asked for <see cref="SummarySource.Rollups"/>, it reads them from the
    /// rollups if they are current in the snapshot it reads, and the raw rows of that same snapshot otherwise, so
    /// the answer is always the raw answer over the data committed before the read.
    /// </summary>
    public async Task<List<TRow>> QueryAsync<TRow>(SummarySql sql, SummaryQuery query, SummarySource source,
        CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>();
        if (source == SummarySource.Raw)
        {
            return await db.Database.SqlQueryRaw<TRow>(sql.Raw, sql.ParametersFor(query)).ToListAsync(cancellationToken);
        }

        await using var snapshot = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var current = await db.Database.SqlQueryRaw<bool>(CurrentSql).SingleAsync(cancellationToken);
        rollups.RecordRead(current);
        var rows = await db.Database.SqlQueryRaw<TRow>(current ? sql.Rollup : sql.Raw, sql.ParametersFor(query))
            .ToListAsync(cancellationToken);
        await snapshot.CommitAsync(cancellationToken);
        return rows;
    }
}
