using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
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
        await CurrentAsync(api);
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
    public async Task With_rollups_on_a_change_not_yet_applied_is_answered_from_raw_rows()
    {
        // The monitor keeps saying "current" for a minute, so only the request's own check can notice the change.
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis,
            new Dictionary<string, string?> { ["Rollups:Mode"] = "on", ["Rollups:MaxLag"] = "00:01:00" });
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 2);
        await CurrentAsync(api);
        await CorruptAsync(api, app.Id);
        // Holding the maintainer's lock: the next change stays in the log, unapplied.
        await using var maintainerLock = await TestDatabase.OpenAsync(api.ConnectionString);
        await TestDatabase.ScalarAsync<object>(maintainerLock, "SELECT pg_advisory_lock(hashtext('peermetrics_rollups.apply'))::text");
        await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);

        await JsonAssert.OkBodyAsync(client, $"/v1/issues/summary?appId={app.Id}&{Window}", Truth);
        Assert.True(api.Factory.Services.GetRequiredService<RollupsMonitor>().CanServe());
    }

    /// <summary>Waits until the rollups hold every change and the Api's monitor has seen it.</summary>
    private static async Task CurrentAsync(TestApi api)
    {
        var monitor = api.Factory.Services.GetRequiredService<RollupsMonitor>();
        await Responses.EventuallyAsync(async () =>
        {
            await using var connection = await TestDatabase.OpenAsync(api.ConnectionString);
            return await TestDatabase.ScalarAsync<bool>(connection,
                "SELECT phase = 'ready' AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.change_log) FROM peermetrics_rollups.state")
                && monitor.CanServe();
        });
    }

    private static Task CorruptAsync(TestApi api, Guid app) =>
        ExecuteAsync(api.ConnectionString, $"UPDATE peermetrics_rollups.issue_code SET issues = issues + 100 WHERE app_id = '{app}' AND level = 2");

    private static async Task ExecuteAsync(string connectionString, string sql) =>
        Assert.True(await TestDatabase.ExecuteAsync(connectionString, sql) > 0, sql);
}
