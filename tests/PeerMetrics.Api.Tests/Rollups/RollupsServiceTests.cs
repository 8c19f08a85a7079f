using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Summaries;
using PeerMetrics.Api.Seeding;

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

    [GeneratedRegex(@"/\*@[A-Z]+\(")]
    private static partial Regex Placeholder();
}
