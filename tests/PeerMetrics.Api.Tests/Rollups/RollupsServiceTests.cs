using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>The rollups inside the running Api: options, the maintainer, "can serve", health and the queries' pairing.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed partial class RollupsServiceTests(InfrastructureFixture infrastructure) : IDisposable
{
    // Each test opens several connections to its own database; close the idle ones so the shared cluster's
    // connection limit is left to the other test classes.
    public void Dispose() => NpgsqlConnection.ClearAllPools();

    [Fact]
    public void Every_summary_pairs_its_raw_sql_with_a_rollup_sql_that_ef_can_run()
    {
        foreach (var sql in SummaryCatalog.All.Select(summary => summary.Sql))
        {
            Assert.Contains("@app", sql.Raw);
            Assert.Contains("peermetrics_rollups.window_parts(@from, @until)", sql.Rollup);
            // EF formats raw SQL with string.Format when it has parameters.
            Assert.DoesNotContain("{", sql.Rollup);
            Assert.DoesNotContain("}", sql.Rollup);
        }
        Assert.DoesNotMatch(Placeholder(), RollupsSql.Install);
        Assert.DoesNotMatch(Placeholder(), RollupsSql.Uninstall);
        Assert.Contains("substr(start_text, 6, 2)::int BETWEEN 1 AND 12", RollupsSql.Install);
        Assert.Contains("jsonb_path_query_first(g.geo_ip, 'strict $.latitude.double()', silent => true)", RollupsSql.Install);
    }

    [Theory]
    [InlineData(null, null, RollupsMode.On)]
    [InlineData("false", null, RollupsMode.Off)]
    [InlineData("false", "shadow", RollupsMode.Shadow)]
    [InlineData("true", "off", RollupsMode.Off)]
    [InlineData(null, "ON", RollupsMode.On)]
    public async Task Mode_defaults_to_on_only_when_the_service_migrates_its_database(string? applyMigrations, string? mode, RollupsMode expected)
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        var settings = new Dictionary<string, string?> { ["Rollups:Maintain"] = "false" };
        if (applyMigrations is not null)
        {
            settings["Database:ApplyMigrations"] = applyMigrations;
        }
        if (mode is not null)
        {
            settings["Rollups:Mode"] = mode;
        }
        await using var factory = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString, settings);
        Assert.Equal(expected, factory.Services.GetRequiredService<IOptions<RollupsOptions>>().Value.EffectiveMode);
    }

    [Fact]
    public async Task The_api_maintains_the_rollups_and_says_when_they_can_serve_with_lag_and_backlog_in_health()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using (var seedConnection = await TestDatabase.OpenAsync(connectionString))
        {
            await DemoDataSeeder.SeedAsync(seedConnection, new DemoDataGenerator(0.02, RollupsTestDatabase.Anchor), wipe: false, null,
                CancellationToken.None);
        }
        await using var factory = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString,
            new Dictionary<string, string?> { ["Rollups:PollInterval"] = "00:00:00.050", ["Rollups:BackfillBatch"] = "10" });
        _ = factory.CreateClient();
        var monitor = factory.Services.GetRequiredService<RollupsMonitor>();
        await WaitUntilAsync(monitor.CanServe, "the maintainer backfills the seeded data");

        await using var connection = await TestDatabase.OpenAsync(connectionString);
        await using (var write = new NpgsqlCommand("UPDATE conference SET ongoing = NOT ongoing, duration = duration + 600", connection))
        {
            await write.ExecuteNonQueryAsync();
        }
        var written = DateTime.UtcNow;
        await WaitUntilAsync(() => monitor.Status is { Backlog: 0, AppliedAt: { } applied } && applied > written.AddMilliseconds(10),
            "the maintainer applies the change");
        Assert.True(monitor.CanServe());
        await RollupsTestDatabase.AssertExactAsync(connection, await AppsAsync(connection),
            [(null, null), (RollupsTestDatabase.Anchor.AddDays(-3).AddMinutes(7), null)], "maintained by the Api");

        var health = await factory.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "rollups");
        var entry = health.Entries["rollups"];
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("ready", entry.Data["phase"]);
        Assert.Equal(0L, entry.Data["backlog"]);
        Assert.True(entry.Data.ContainsKey("lag_seconds"));

        // A TRUNCATE makes them unable to serve until the backfill is done again.
        await using (var truncate = new NpgsqlCommand("TRUNCATE participant_conferences", connection))
        {
            await truncate.ExecuteNonQueryAsync();
        }
        await WaitUntilAsync(() => !monitor.CanServe(), "the pending TRUNCATE is seen");
        await WaitUntilAsync(monitor.CanServe, "the maintainer rebuilds");
        Assert.Contains(factory.Logs.GetSnapshot(), log => log.Message.Contains("Rollups cannot serve"));
    }

    private static async Task<List<Guid>> AppsAsync(NpgsqlConnection connection) =>
        [.. (await TestDatabase.RowsAsync(connection, "SELECT DISTINCT app_id FROM conference")).Select(Guid.Parse)];

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 600; i++)
        {
            if (condition())
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"timed out waiting until {what}");
    }

    [Theory]
    // Within one ten: minutes only.
    [InlineData("2026-11-30T09:03Z", "2026-11-30T09:08Z", "0 09:03-09:08")]
    // Minutes to the first whole ten, whole tens, minutes after the last one.
    [InlineData("2026-11-30T09:03Z", "2026-11-30T09:48Z", "0 09:03-09:10|1 09:10-09:40|0 09:40-09:48")]
    // Across an hour: tens on either side of it, and the hour itself from the hour level.
    [InlineData("2026-11-30T08:32Z", "2026-11-30T10:15Z", "0 08:32-08:40|1 08:40-09:00|2 09:00-10:00|1 10:00-10:10|0 10:10-10:15")]
    // Whole days between hours; the open day (2026-12-01) from hours, the open hour (10:00) from tens and minutes.
    [InlineData("2026-11-29T22:30Z", "2026-12-01T10:25Z", "1 11-29 22:30-11-29 23:00|2 11-29 23:00-11-30 00:00|3 11-30 00:00-12-01 00:00|2 12-01 00:00-12-01 10:00|1 12-01 10:00-12-01 10:20|0 12-01 10:20-12-01 10:25")]
    // Open at the end: everything after the open hour from tens.
    [InlineData("2026-12-01T09:00Z", null, "2 12-01 09:00-12-01 10:00|1 12-01 10:00-infinity")]
    // Open at the start.
    [InlineData(null, "2026-11-30T00:05Z", "3 -infinity-11-30 00:00|0 11-30 00:00-11-30 00:05")]
    public async Task A_window_is_read_as_whole_days_hours_and_tens_of_closed_buckets_and_minutes_at_the_ends(
        string? from, string? until, string expected)
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        await TestDatabase.ExecuteAsync(connectionString, "UPDATE peermetrics_rollups.state SET open_hour = '2026-12-01T10:00Z'");
        // Bucket bounds printed as hh:mi, or as mm-dd hh:mi when the window spans days.
        var format = from is not null && until is not null && from[..10] == until[..10] ? "HH24:MI" : "MM-DD HH24:MI";
        var parts = await TestDatabase.ScalarAsync<string>(connection, $"""
            SELECT string_agg(format('%s %s-%s', lvl,
                                     CASE WHEN isfinite(lo) THEN to_char(lo AT TIME ZONE 'UTC', '{format}') ELSE lo::text END,
                                     CASE WHEN isfinite(hi) THEN to_char(hi AT TIME ZONE 'UTC', '{format}') ELSE hi::text END),
                              '|' ORDER BY lo)
            FROM peermetrics_rollups.window_parts({Literal(from)}, {Literal(until)})
            """);
        Assert.Equal(expected, parts);

        static string Literal(string? at) => at is null ? "NULL" : $"'{at}'::timestamptz";
    }

    [GeneratedRegex(@"/\*@[A-Z]+\(")]
    private static partial Regex Placeholder();
}
