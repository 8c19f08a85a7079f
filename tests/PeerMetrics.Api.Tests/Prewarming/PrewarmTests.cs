using System.Diagnostics.Metrics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Summaries.Definitions;
using PeerMetrics.Api.Tests.Caching;
using PeerMetrics.Prewarmer;
using StackExchange.Redis;

namespace PeerMetrics.Api.Tests.Prewarming;

[Collection(InfrastructureCollection.Name)]
public sealed class PrewarmTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly TimeSpan Recent = TimeSpan.FromHours(1);
    private static readonly TimeSpan Old = TimeSpan.FromDays(3);

    private TestApi _api = null!;
    private MetricCollector<long> _lookups = null!;
    private string _connectionString = null!;
    private readonly string _leaseKey = $"prewarm:lease:{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        _api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis);
        _connectionString = _api.ConnectionString;
        _lookups = new(_api.Factory.Services.GetRequiredService<IMeterFactory>(), SummaryCacheMetrics.MeterName,
            "peermetrics.summary.cache.lookups");
    }

    public async Task DisposeAsync()
    {
        _lookups.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task After_one_cycle_the_dashboards_first_default_window_request_is_a_hit_for_all_eight()
    {
        var data = new TestData(_connectionString);
        var organization = data.Organization();
        var active = PrewarmTestData.AppWithConference(data, organization, Recent);
        var dormant = PrewarmTestData.AppWithConference(data, organization, Old);
        await data.SaveAsync();
        await using var prewarmer = new TestPrewarmer(_api.Factory, infrastructure.Redis.ConnectionString, _leaseKey);

        Assert.Equal(PrewarmAttempt.Ran, await prewarmer.Runner.TryRunAsync(CancellationToken.None));

        using var dashboard = _api.Factory.CreateClientFor(organization.Id);
        foreach (var summary in SummaryCatalog.All)
        {
            Assert.Equal("HIT", await Responses.CacheHeaderOf(dashboard, DashboardRequests.DefaultWindowUrl(summary.Route, active.Id)));
            Assert.Equal("MISS", await Responses.CacheHeaderOf(dashboard, DashboardRequests.DefaultWindowUrl(summary.Route, dormant.Id)));
            // The current and the next minute's windows, once each.
            Assert.Equal(2, Refreshes(summary.Label));
        }
        var cycle = Assert.Single(prewarmer.Logs.GetSnapshot(), log => log.Message.StartsWith("Warmed ", StringComparison.Ordinal));
        Assert.Matches(@"^Warmed 16 summary entries across 1 apps \(0 failed\) in \d+ ms$", cycle.Message);
    }

    [Fact]
    public async Task A_refresh_stores_the_compressed_forms_that_another_replica_serves_from_redis()
    {
        var data = new TestData(_connectionString);
        var organization = data.Organization();
        var active = PrewarmTestData.AppWithConference(data, organization, Recent);
        await data.SaveAsync();
        await using var prewarmer = new TestPrewarmer(_api.Factory, infrastructure.Redis.ConnectionString, _leaseKey);

        Assert.Equal(PrewarmAttempt.Ran, await prewarmer.Runner.TryRunAsync(CancellationToken.None));

        // A replica with nothing in memory reads the entries the refresh wrote to Redis (in the background).
        await using var replica = new ApiFactory(_connectionString, infrastructure.Redis.ConnectionString);
        using var replicaClient = replica.CreateClientFor(organization.Id);
        using var dashboard = _api.Factory.CreateClientFor(organization.Id);
        foreach (var summary in SummaryCatalog.All)
        {
            var url = DashboardRequests.DefaultWindowUrl(summary.Route, active.Id);
            var body = await dashboard.GetByteArrayAsync(url);
            HttpResponseMessage? compressed = null;
            await Responses.EventuallyAsync(async () =>
            {
                compressed?.Dispose();
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.AcceptEncoding.ParseAdd("br");
                compressed = await replicaClient.SendAsync(request);
                return Responses.CacheHeader(compressed) == "HIT";
            });

            Assert.Equal(["br"], compressed!.Content.Headers.ContentEncoding);
            await using var decoded = new BrotliStream(await compressed.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
            using var identity = new MemoryStream();
            await decoded.CopyToAsync(identity);
            Assert.Equal(body, identity.ToArray());
            compressed.Dispose();
        }
        Assert.Equal(2 * SummaryCatalog.All.Count, TotalRefreshes());
    }

    [Fact]
    public async Task Slow_refreshes_are_warnings_from_the_second_cycle_on()
    {
        var data = new TestData(_connectionString);
        PrewarmTestData.AppWithConference(data, data.Organization(), Recent);
        await data.SaveAsync();
        // Every refresh is slower than no time at all.
        await using var prewarmer = new TestPrewarmer(_api.Factory, infrastructure.Redis.ConnectionString, _leaseKey,
            new Dictionary<string, string?> { ["Prewarm:SlowRefreshThreshold"] = "00:00:00" });

        await prewarmer.Runner.TryRunAsync(CancellationToken.None);
        var first = SlowRefreshLevels(prewarmer);
        prewarmer.Logs.Clear();
        await prewarmer.Runner.TryRunAsync(CancellationToken.None);
        var second = SlowRefreshLevels(prewarmer);

        Assert.Equal(16, first.Count);
        Assert.All(first, level => Assert.Equal(LogLevel.Information, level));
        Assert.Equal(16, second.Count);
        Assert.All(second, level => Assert.Equal(LogLevel.Warning, level));
    }

    private static List<LogLevel> SlowRefreshLevels(TestPrewarmer prewarmer) =>
        [.. prewarmer.Logs.GetSnapshot().Where(log => log.Message.StartsWith("Slow summary refresh", StringComparison.Ordinal)).Select(log => log.Level)];

    [Fact]
    public async Task Active_apps_are_active_apps_with_an_active_conference_since_the_given_instant()
    {
        var data = new TestData(_connectionString);
        var organization = data.Organization();
        var other = data.Organization();
        var expected = new[]
        {
            PrewarmTestData.AppWithConference(data, organization, Recent),
            PrewarmTestData.AppWithConference(data, other, Recent),
        };
        PrewarmTestData.AppWithConference(data, organization, Old);
        PrewarmTestData.AppWithConference(data, organization, Recent, appActive: false);
        PrewarmTestData.AppWithConference(data, organization, Recent, conferenceActive: false);
        await data.SaveAsync();
        var since = (DateTime.UtcNow - TimeSpan.FromDays(2)).ToString("O", CultureInfo.InvariantCulture);
        using var prewarmer = _api.Factory.CreateRefreshClient();
        using var dashboard = _api.Factory.CreateClientFor(organization.Id);
        using var anonymous = _api.Factory.CreateClient();

        var body = await prewarmer.GetStringAsync($"/internal/active-apps?since={Uri.EscapeDataString(since)}");

        Assert.Equal(ExpectedBodies.ActiveApps(expected.Select(a => a.Id)), body);
        Assert.Equal(HttpStatusCode.Forbidden, (await dashboard.GetAsync($"/internal/active-apps?since={since}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/internal/active-apps?since={since}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await prewarmer.GetAsync("/internal/active-apps")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await prewarmer.GetAsync("/internal/active-apps?since=yesterday")).StatusCode);
    }

    [Fact]
    public async Task Two_replicas_share_one_lease_each_cycle_runs_once_and_the_other_takes_over()
    {
        var data = new TestData(_connectionString);
        var organization = data.Organization();
        PrewarmTestData.AppWithConference(data, organization, Recent);
        PrewarmTestData.AppWithConference(data, organization, Recent);
        await data.SaveAsync();
        var settings = new Dictionary<string, string?> { ["Prewarm:Interval"] = "00:00:04", ["Prewarm:LeaseMargin"] = "00:00:01" };
        await using var first = new TestPrewarmer(_api.Factory, infrastructure.Redis.ConnectionString, _leaseKey, settings);
        await using var second = new TestPrewarmer(_api.Factory, infrastructure.Redis.ConnectionString, _leaseKey, settings);

        // Two cycles with both replicas racing: one runs each, the same one, and each entry is refreshed once.
        var attempts = new List<PrewarmAttempt[]>();
        for (var cycle = 1; cycle <= 2; cycle++)
        {
            attempts.Add(await Task.WhenAll(first.Runner.TryRunAsync(CancellationToken.None), second.Runner.TryRunAsync(CancellationToken.None)));
            Assert.Equal(cycle * 2 * 16, TotalRefreshes());
        }
        Assert.All(attempts, pair => Assert.Single(pair, a => a == PrewarmAttempt.Ran));
        Assert.Equal(attempts[0], attempts[1]);
        var (holder, standby) = attempts[0][0] == PrewarmAttempt.Ran ? (first, second) : (second, first);

        // A holder that dies without releasing: its lease expires one interval plus the margin later.
        Assert.Equal(PrewarmAttempt.NotLeader, await standby.Runner.TryRunAsync(CancellationToken.None));
        await Task.Delay(TimeSpan.FromSeconds(5.2));
        Assert.Equal(PrewarmAttempt.Ran, await standby.Runner.TryRunAsync(CancellationToken.None));
        Assert.Equal(PrewarmAttempt.NotLeader, await holder.Runner.TryRunAsync(CancellationToken.None));
        Assert.Equal(3 * 2 * 16, TotalRefreshes());
    }

    [Fact]
    public async Task A_running_replica_releases_its_lease_on_shutdown_so_another_takes_over_at_once()
    {
        var data = new TestData(_connectionString);
        PrewarmTestData.AppWithConference(data, data.Organization(), Recent);
        await data.SaveAsync();
        await using var running = new TestPrewarmer(_api.Factory, infrastructure.Redis.ConnectionString, _leaseKey);
        await using var standby = new TestPrewarmer(_api.Factory, infrastructure.Redis.ConnectionString, _leaseKey);

        await running.StartAsync();
        await Responses.EventuallyAsync(() => Task.FromResult(running.Logs.GetSnapshot().Any(log => log.Message.StartsWith("Warmed 16 ", StringComparison.Ordinal))));
        Assert.Equal(PrewarmAttempt.NotLeader, await standby.Runner.TryRunAsync(CancellationToken.None));

        await running.StopAsync();

        Assert.Equal(PrewarmAttempt.Ran, await standby.Runner.TryRunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Without_the_api_or_redis_a_cycle_fails_quietly_and_the_next_one_runs()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var noApi = new TestPrewarmer(_api.Factory, redis.ConnectionString, _leaseKey, useApi: false);

        Assert.Equal(PrewarmAttempt.Ran, await noApi.Runner.TryRunAsync(CancellationToken.None));
        Assert.Single(noApi.Logs.GetSnapshot(), log => log.Message.StartsWith("Prewarm cycle skipped: could not list active apps", StringComparison.Ordinal));

        await redis.StopAsync();
        Assert.Equal(PrewarmAttempt.LeaseUnavailable, await noApi.Runner.TryRunAsync(CancellationToken.None));
        Assert.Equal(PrewarmAttempt.LeaseUnavailable, await noApi.Runner.TryRunAsync(CancellationToken.None));
        Assert.Single(noApi.Logs.GetSnapshot(), log => log.Message.StartsWith("Prewarm paused", StringComparison.Ordinal));
    }

    private long Refreshes(string summary) =>
        _lookups.GetMeasurementSnapshot()
            .Where(m => (string?)m.Tags["summary"] == summary && (string?)m.Tags["cache.result"] == "refresh")
            .Sum(m => m.Value);

    private long TotalRefreshes() =>
        _lookups.GetMeasurementSnapshot().Where(m => (string?)m.Tags["cache.result"] == "refresh").Sum(m => m.Value);
}
