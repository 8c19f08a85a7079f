using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>Drives the maintainer and compares every summary's rollup rows with its raw rows.</summary>
internal static class RollupsTestDatabase
{
    public static readonly DateTime Anchor = new(2026, 3, 28, 17, 0, 0, DateTimeKind.Utc);

    /// <summary>Seeds demo data of <paramref name="scale"/> at <see cref="Anchor"/>, then drains the rollups over it.</summary>
    public static async Task<DemoDataGenerator> SeedAndDrainAsync(NpgsqlConnection connection, double scale)
    {
        var generator = new DemoDataGenerator(scale, Anchor);
        await DemoDataSeeder.SeedAsync(connection, generator, wipe: false, progress: null, CancellationToken.None);
        await DrainAsync(connection);
        return generator;
    }

    /// <summary>Waits until the rollups hold every change and the Api's monitor has seen it.</summary>
    public static Task CurrentAsync(TestApi api) => api.RollupsCurrentAsync();

    /// <summary>Runs the maintainer until the backfill is done and the log is empty (no writer running).</summary>
    public static async Task DrainAsync(NpgsqlConnection connection, int backfillBatch = 500)
    {
        for (var i = 0; i < 10_000; i++)
        {
            var run = await RollupsDatabase.ApplyAsync(connection, 100_000, backfillBatch, TimeSpan.Zero, CancellationToken.None);
            var status = await RollupsDatabase.StatusAsync(connection, CancellationToken.None);
            if (run.Locked && status is { Ready: true, Backlog: 0 })
            {
                return;
            }
        }
        throw new InvalidOperationException("the rollups did not catch up");
    }

    /// <summary>
    /// Every summary, for every app, over every window: the rollup rows equal the raw rows (names, types,
    /// values, order). Read in one REPEATABLE READ snapshot in which the log is empty, so the rollups describe
    /// exactly the raw rows of that snapshot.
    /// </summary>
    public static async Task AssertExactAsync(NpgsqlConnection connection, IEnumerable<Guid> apps,
        IEnumerable<(DateTime? From, DateTime? Until)> windows, string context)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var check = new NpgsqlCommand("SELECT ready, backlog FROM peermetrics_rollups.status()", connection, transaction))
        await using (var reader = await check.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.True(reader.GetBoolean(0) && reader.GetInt64(1) == 0, $"{context}: rollups not drained before comparing");
        }
        var failures = new List<string>();
        var compared = 0;
        foreach (var app in apps)
        {
            foreach (var (from, until) in windows)
            {
                foreach (var summary in SummaryCatalog.All)
                {
                    var raw = await RollupQueries.RunAsync(connection, summary, SummarySource.Raw, app, from, until, CancellationToken.None, transaction);
                    var rollup = await RollupQueries.RunAsync(connection, summary, SummarySource.Rollups, app, from, until, CancellationToken.None, transaction);
                    compared++;
                    if (!raw.SequenceEqual(rollup))
                    {
                        failures.Add($"{summary.Label} app={app} from={from:O} until={until:O}\n  raw:    {string.Join(" ; ", raw)}\n" +
                                     $"  rollup: {string.Join(" ; ", rollup)}");
                    }
                }
            }
        }
        await transaction.RollbackAsync();
        Assert.True(failures.Count == 0,
            $"{context}: {failures.Count} of {compared} answers differ; first ones:\n{string.Join("\n", failures.Take(5))}");
    }

    /// <summary>
    /// <see cref="AssertExactAsync"/> for <paramref name="apps"/> over <see cref="RandomWindows"/> (drawn with
    /// <paramref name="seed"/>) around their data as it is now.
    /// </summary>
    public static async Task AssertExactOverRandomWindowsAsync(NpgsqlConnection connection, Guid[] apps, int seed, string context)
    {
        var data = await RollupsWorkload.Snapshot.ReadAsync(connection, apps);
        await AssertExactAsync(connection, apps, RandomWindows(new Random(seed), data.From, data.Until), context);
    }

    /// <summary>Windows that cut days and hours at odd minutes, open on either side, empty, inverted, one
    /// minute, exact hours and days, before and after all data.</summary>
    public static List<(DateTime? From, DateTime? Until)> RandomWindows(Random random, DateTime dataFrom, DateTime dataUntil)
    {
        DateTime Minute(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        DateTime Any() => Minute(dataFrom.AddDays(-1) + TimeSpan.FromMinutes(random.Next((int)(dataUntil - dataFrom).TotalMinutes + 2880)));
        var a = Any();
        var hour = new DateTime(a.Year, a.Month, a.Day, a.Hour, 0, 0, DateTimeKind.Utc);
        var windows = new List<(DateTime?, DateTime?)>
        {
            (null, null),
            (Any(), null),
            (null, Any()),
            (a, a),
            (a.AddMinutes(1), a),
            (a, a.AddMinutes(1)),
            (a, a.AddMinutes(random.Next(2, 59))),
            (hour, hour.AddHours(1)),
            (hour.AddMinutes(10), hour.AddMinutes(40)),
            (hour.AddMinutes(-10), hour.AddMinutes(70)),
            (hour.Date, hour.Date.AddDays(1)),
            (Minute(dataFrom).AddDays(-10), Minute(dataFrom).AddDays(-9)),
            (Minute(dataUntil).AddDays(1), null),
            (null, Minute(dataFrom).AddDays(-1)),
        };
        for (var i = 0; i < 4; i++)
        {
            var from = Any();
            windows.Add((from, from.AddMinutes(random.Next(1, 6 * 1440))));
        }
        return windows;
    }
}
