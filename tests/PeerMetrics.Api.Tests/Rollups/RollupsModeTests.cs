using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Tests.Caching;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>
/// Which answer a summary request gets in each <c>Rollups:Mode</c>, told apart by a rollup row corrupted on purpose:
/// on serves the rollups once they are current, off serves raw rows, shadow serves raw and reports the difference.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class RollupsModeTests(InfrastructureFixture infrastructure)
{
    private const string Window = "created_at_gte=2026-03-01T00:00:00Z";
    private const string Truth = """{"data":[{"code":"getusermedia_error","title":"Problem accessing media","count":2}]}""";
    private const string TruthAfterOneMore = """{"data":[{"code":"getusermedia_error","title":"Problem accessing media","count":3}]}""";
    private const string Corrupted = """{"data":[{"code":"getusermedia_error","title":"Problem accessing media","count":102}]}""";

    [Theory]
    [InlineData("on", Corrupted)]
    [InlineData("off", Truth)]
    [InlineData("shadow", Truth)]
    public async Task A_corrupted_rollup_row_shows_only_where_the_mode_serves_rollups(string mode, string expected)
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis,
            new Dictionary<string, string?> { ["Rollups:Mode"] = mode });
        using var reads = new MetricCollector<long>(api.Factory.Services.GetRequiredService<IMeterFactory>(),
            RollupsMonitor.MeterName, "peermetrics.rollups.shadow.differences");
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 2);
        await RollupsTestDatabase.CurrentAsync(api);
        await CorruptAsync(api, app.Id);
        using var client = api.Factory.CreateClientFor(organization.Id);

        await JsonAssert.OkBodyAsync(client, $"/v1/issues/summary?appId={app.Id}&{Window}", expected);

        var differences = api.Factory.Logs.GetSnapshot().Where(log => log.Message.StartsWith("Rollups shadow:", StringComparison.Ordinal)).ToList();
        if (mode == "shadow")
        {
            var difference = Assert.Single(differences);
            Assert.Equal(LogLevel.Warning, difference.Level);
            Assert.Contains("issues.summary", difference.Message);
            Assert.Equal(1, reads.GetMeasurementSnapshot().Sum(m => m.Value));
        }
        else
        {
            Assert.Empty(differences);
        }
    }

    [Fact]
    public async Task With_rollups_on_a_change_not_yet_applied_is_applied_by_the_read_and_then_served_from_the_rollups()
    {
        // The maintainer sleeps once idle and the monitor keeps saying "current": only the request can apply the change.
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["Rollups:Mode"] = "on", ["Rollups:MaxLag"] = "00:10:00", ["Rollups:PollInterval"] = "01:00:00",
        });
        using var reads = Reads(api);
        var (organization, app) = await SeedAppliedAsync(api);
        await AddIssueAsync(api, app.Id);
        Assert.True(await PendingAsync(api) > 0);
        using var client = api.Factory.CreateClientFor(organization.Id);

        await JsonAssert.OkBodyAsync(client, $"/v1/issues/summary?appId={app.Id}&{Window}", TruthAfterOneMore);

        Assert.Equal(["rollups_after_catch_up"], Sources(reads));
        Assert.Equal(0, await PendingAsync(api));
    }

    [Fact]
    public async Task With_a_staleness_allowance_a_change_not_yet_applied_is_not_waited_for()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["Rollups:Mode"] = "on", ["Rollups:MaxLag"] = "00:10:00", ["Rollups:PollInterval"] = "01:00:00",
            ["Rollups:MaxStaleness"] = "00:10:00",
        });
        using var reads = Reads(api);
        var (organization, app) = await SeedAppliedAsync(api);
        await AddIssueAsync(api, app.Id);
        using var client = api.Factory.CreateClientFor(organization.Id);

        // The rollups as of the last run, a moment ago: without the new issue, and the change is still pending.
        await JsonAssert.OkBodyAsync(client, $"/v1/issues/summary?appId={app.Id}&{Window}", Truth);

        Assert.Equal(["rollups_within_staleness"], Sources(reads));
        Assert.True(await PendingAsync(api) > 0);
    }

    [Fact]
    public async Task With_rollups_on_a_change_that_cannot_be_applied_in_time_is_answered_from_raw_rows()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["Rollups:Mode"] = "on", ["Rollups:MaxLag"] = "00:00:05",
        });
        using var reads = Reads(api);
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 2);
        await RollupsTestDatabase.CurrentAsync(api);
        // Holding the maintainer's lock: the next change stays in the log, unapplied, whoever tries.
        await using var maintainerLock = await TestDatabase.OpenAsync(api.ConnectionString);
        await TestDatabase.ScalarAsync<object>(maintainerLock, "SELECT pg_advisory_lock(hashtext('peermetrics_rollups.apply'))::text");
        await AddIssueAsync(api, app.Id);
        using var client = api.Factory.CreateClientFor(organization.Id);

        await JsonAssert.OkBodyAsync(client, $"/v1/issues/summary?appId={app.Id}&{Window}", TruthAfterOneMore);

        Assert.Equal(["raw"], Sources(reads));
    }

    /// <summary>
    /// Seeds an app and applies it to the rollups from the test (the Api's maintainer sleeps in these tests), then
    /// waits until the Api's monitor has seen them current.
    /// </summary>
    private static async Task<(Organization Organization, App App)> SeedAppliedAsync(TestApi api)
    {
        var seeded = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 2);
        await using (var connection = await TestDatabase.OpenAsync(api.ConnectionString))
        {
            await RollupsDatabase.CatchUpAsync(connection, 2_000, TimeSpan.Zero, null, CancellationToken.None);
        }
        await RollupsTestDatabase.CurrentAsync(api);
        return seeded;
    }

    private static MetricCollector<long> Reads(TestApi api) =>
        new(api.Factory.Services.GetRequiredService<IMeterFactory>(), RollupsMonitor.MeterName, "peermetrics.rollups.reads");

    private static List<string?> Sources(MetricCollector<long> reads) =>
        [.. reads.GetMeasurementSnapshot().Select(m => m.Tags["source"]?.ToString())];

    private static async Task<long> PendingAsync(TestApi api)
    {
        await using var connection = await TestDatabase.OpenAsync(api.ConnectionString);
        return await TestDatabase.ScalarAsync<long>(connection, "SELECT count(*) FROM peermetrics_rollups.change_log");
    }

    // One more getusermedia issue in the app, as a writer would add it.
    private static Task AddIssueAsync(TestApi api, Guid app) => ExecuteAsync(api.ConnectionString, $"""
        INSERT INTO app_issue (id, type, code, data, created_at, is_active, conference_id, connection_id, participant_id, session_id, track_id)
        SELECT gen_random_uuid(), i.type, i.code, i.data, i.created_at, true, i.conference_id, NULL, i.participant_id, i.session_id, NULL
        FROM app_issue i JOIN conference c ON c.id = i.conference_id WHERE c.app_id = '{app}' LIMIT 1
        """);

    private static Task CorruptAsync(TestApi api, Guid app) =>
        ExecuteAsync(api.ConnectionString, $"UPDATE peermetrics_rollups.issue_code_stored SET issues = issues + 100 WHERE app_id = '{app}' AND level = 3");

    private static async Task ExecuteAsync(string connectionString, string sql) =>
        Assert.True(await TestDatabase.ExecuteAsync(connectionString, sql) > 0, sql);
}
