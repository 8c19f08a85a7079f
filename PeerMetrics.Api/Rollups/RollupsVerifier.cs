using Npgsql;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Rollups;

/// <summary>One summary over one window whose rollup rows differ from its raw rows.</summary>
public sealed record RollupDifference(string Summary, Guid App, DateTime? From, DateTime? Until, IReadOnlyList<string> Raw,
    IReadOnlyList<string> Rollup);

/// <summary>
/// Compares every summary's rollup answer with its raw answer. Both run in one REPEATABLE READ transaction
/// that first applies the pending log itself, so both read exactly the same committed data.
/// </summary>
public static class RollupsVerifier
{
    /// <summary>The windows <c>verify</c> checks, relative to <paramref name="now"/>: open, the default (30 days),
    /// 7 days, 1 hour, and one cutting days and hours at odd minutes.</summary>
    public static IReadOnlyList<(DateTime? From, DateTime? Until)> Windows(DateTime now)
    {
        var minute = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        return
        [
            (null, null),
            (minute.AddDays(-30), null),
            (minute.AddDays(-7), minute.AddMinutes(1)),
            (minute.AddHours(-1), minute.AddMinutes(1)),
            (minute.AddDays(-3).AddMinutes(-17), minute.AddDays(-1).AddMinutes(-43)),
        ];
    }

    /// <summary>
    /// The differences for <paramref name="apps"/> (all apps with conferences when null) over
    /// <paramref name="windows"/>. Throws when the rollups are not installed or not backfilled.
    /// </summary>
    public static async Task<List<RollupDifference>> VerifyAsync(NpgsqlConnection connection, IReadOnlyList<Guid>? apps,
        IReadOnlyList<(DateTime? From, DateTime? Until)> windows, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            await using (var apply = new NpgsqlCommand($"{RollupsSql.ShareWatchedTables}; SELECT locked, phase FROM {RollupsSql.Schema}.apply(2147483647, 0)",
                             connection, transaction)
                         { CommandTimeout = 0 })
            await using (var reader = await apply.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                if (!reader.GetBoolean(0))
                {
                    // A maintainer is applying right now: its result is not in this snapshot. Try again.
                    await reader.DisposeAsync();
                    await transaction.RollbackAsync(cancellationToken);
                    if (attempt > 100)
                    {
                        throw new InvalidOperationException("the maintainer lock stayed busy");
                    }
                    await Task.Delay(50, cancellationToken);
                    continue;
                }
                if (reader.GetString(1) != "ready")
                {
                    throw new InvalidOperationException($"the rollups are not ready ({reader.GetString(1)}): run `rollups install` to backfill");
                }
            }

            var appIds = apps ?? await AppsAsync(connection, transaction, cancellationToken);
            var differences = new List<RollupDifference>();
            foreach (var app in appIds)
            {
                foreach (var (from, until) in windows)
                {
                    foreach (var summary in SummaryCatalog.All)
                    {
                        var raw = await RollupQueries.RunAsync(connection, summary, SummarySource.Raw, app, from, until, cancellationToken, transaction);
                        var rollup = await RollupQueries.RunAsync(connection, summary, SummarySource.Rollups, app, from, until, cancellationToken, transaction);
                        if (!raw.SequenceEqual(rollup))
                        {
                            differences.Add(new RollupDifference(summary.Label, app, from, until, raw, rollup));
                        }
                    }
                }
            }
            // Rolled back: verifying never changes what the maintainer will do.
            await transaction.RollbackAsync(cancellationToken);
            return differences;
        }
    }

    private static async Task<List<Guid>> AppsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT DISTINCT app_id FROM conference ORDER BY 1", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var apps = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            apps.Add(reader.GetGuid(0));
        }
        return apps;
    }
}
