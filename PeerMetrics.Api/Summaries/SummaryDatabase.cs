using Microsoft.EntityFrameworkCore;
using Npgsql;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// Runs a summary's SQL for a validated query (<c>@app</c>, <c>@from</c>, <c>@until</c>, plus any extra
/// parameters). A singleton that takes a pooled DbContext only to run a query: minimal APIs bind handler
/// parameters before the cache filter runs, so a handler taking a DbContext would rent one on every cache hit.
/// </summary>
public sealed class SummaryDatabase(IServiceScopeFactory scopes)
{
    public async Task<List<TRow>> QueryAsync<TRow>(
        string sql, SummaryQuery query, CancellationToken cancellationToken, params NpgsqlParameter[] extraParameters)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>();
        return await db.Database.SqlQueryRaw<TRow>(sql, [.. SqlParameters.ForSummary(query), .. extraParameters])
            .ToListAsync(cancellationToken);
    }
}
