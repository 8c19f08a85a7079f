using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Summaries.Definitions;
using StackExchange.Redis;

namespace PeerMetrics.Api.Tests.Caching;

[Collection(InfrastructureCollection.Name)]
public sealed class SummaryCacheTests(InfrastructureFixture infrastructure)
{
    private const string Window = "created_at_gte=2026-03-01T00:00:00Z";

    [Theory]
    [MemberData(nameof(Summaries))]
    public async Task First_request_is_a_miss_and_the_next_a_hit_with_identical_bytes(string route, string label)
    {
        await using var api = await StartApiAsync();
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var url = $"{route}?appId={app.Id}&{Window}";

        var miss = await client.GetAsync(url);
        var hit = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
        Assert.Equal("MISS", Responses.CacheHeader(miss));
        Assert.Equal("HIT", Responses.CacheHeader(hit));
        Assert.Equal("application/json; charset=utf-8", hit.Content.Headers.ContentType?.ToString());
        Assert.Equal(await miss.Content.ReadAsByteArrayAsync(), await hit.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, api.Computes(label));
    }

    public static TheoryData<string, string> Summaries()
    {
        var data = new TheoryData<string, string>();
        foreach (var summary in SummaryCatalog.All)
        {
            data.Add(summary.Route, summary.Label);
        }
        return data;
    }

    [Fact]
    public async Task The_key_follows_the_normalized_minute_window_and_nothing_else()
    {
        await using var api = await StartApiAsync();
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var route = $"/v1/conferences/summary?appId={app.Id}";

        Assert.Equal("MISS", await Responses.CacheHeaderOf(client, $"{route}&created_at_gte=2026-03-01T10:15:05Z"));
        // 20 s later in the same minute, and the same instant written with an offset: one entry.
        Assert.Equal("HIT", await Responses.CacheHeaderOf(client, $"{route}&created_at_gte=2026-03-01T10:15:25Z"));
        Assert.Equal("HIT", await Responses.CacheHeaderOf(client, $"{route}&created_at_gte=2026-03-01T12:15:05%2B02:00"));
        Assert.Equal("HIT", await Responses.CacheHeaderOf(client, $"{route}&created_at_gte=2026-03-01T10:15:05Z&unrelated=1"));
        // A different instant, or another bound, is another entry.
        Assert.Equal("MISS", await Responses.CacheHeaderOf(client, $"{route}&created_at_gte=2026-03-01T10:16:05Z"));
        Assert.Equal("MISS", await Responses.CacheHeaderOf(client, $"{route}&created_at_gte=2026-03-01T10:15:05%2B01:00"));
        Assert.Equal("MISS", await Responses.CacheHeaderOf(client, $"{route}&created_at_gte=2026-03-01T10:15:05Z&created_at_lte=2026-03-30T00:00:00Z"));
        Assert.Equal("MISS", await Responses.CacheHeaderOf(client, $"/v1/conferences/duration-summary?appId={app.Id}&created_at_gte=2026-03-01T10:15:05Z"));
    }

    [Fact]
    public async Task An_entry_is_recomputed_after_its_ttl()
    {
        await using var api = await StartApiAsync(new() { ["SummaryCache:Ttl"] = "00:00:02" });
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var url = $"/v1/sessions/summary?appId={app.Id}&{Window}";

        Assert.Equal("MISS", await Responses.CacheHeaderOf(client, url));
        Assert.Equal("HIT", await Responses.CacheHeaderOf(client, url));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal("MISS", await Responses.CacheHeaderOf(client, url));

        Assert.Equal(2, api.Computes("sessions.summary"));
        Assert.Equal(2, api.Lookups("sessions.summary", "miss"));
        Assert.Equal(1, api.Lookups("sessions.summary", "hit"));
    }

    [Fact]
    public async Task Redis_holds_one_readable_key_per_entry_and_nothing_else()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var api = await StartApiAsync(redis: redis);
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);

        foreach (var summary in SummaryCatalog.All)
        {
            await client.GetAsync($"{summary.Route}?appId={app.Id}&{Window}");
        }

        var keys = await WaitForKeysAsync(redis, SummaryCatalog.All.Count);
        Assert.Equal(SummaryCatalog.All.Count, keys.Length);
        // Window = created_at_gte only: the lower bound to the minute, no upper bound.
        // Prefixed by default with the application and the body format version.
        var expected = SummaryCatalog.All.Select(summary => $"peermetrics:v2:summary:{summary.Label}:{organization.Id:N}:{app.Id:N}:20260301T0000Z:-");
        Assert.Equal(expected.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Redis_keys_carry_the_configured_prefix_and_environments_do_not_share_entries()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var staging = await StartApiAsync(new() { ["SummaryCache:KeyPrefix"] = "staging:v1:" }, redis);
        var (organization, app) = await CacheTestData.SeedAppAsync(staging.ConnectionString);
        using var client = staging.Factory.CreateClientFor(organization.Id);

        await client.GetAsync($"/v1/issues/summary?appId={app.Id}&{Window}");

        var key = Assert.Single(await WaitForKeysAsync(redis, 1));
        Assert.Equal($"staging:v1:summary:issues.summary:{organization.Id:N}:{app.Id:N}:20260301T0000Z:-", key);
    }

    [Fact]
    public async Task The_memory_level_is_bounded_by_MaxMemoryEntries()
    {
        await using var api = await StartApiAsync(new() { ["SummaryCache:MaxMemoryEntries"] = "5" });
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);

        // Unknown appIds and new windows: each would add an entry.
        for (var i = 0; i < 40; i++)
        {
            using var unknown = await client.GetAsync($"/v1/issues/summary?appId={Guid.NewGuid()}");
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            using var window = await client.GetAsync($"/v1/issues/summary?appId={app.Id}&created_at_gte=2026-03-01T00:{i:D2}:00Z");
            Assert.Equal(HttpStatusCode.OK, window.StatusCode);
        }

        var memory = api.Factory.Services.GetRequiredService<MemoryLevel>().Cache;
        var statistics = memory.GetCurrentStatistics()!;
        // FusionCache's own bookkeeping entries (__fc:…, a fixed few) have no size; everything else counts.
        var ours = memory.Keys.Count(key => !key.ToString()!.StartsWith("peermetrics:v2:__fc:", StringComparison.Ordinal));
        Assert.True(ours <= 5 && statistics.CurrentEstimatedSize <= 5,
            $"{statistics.CurrentEntryCount} entries, size {statistics.CurrentEstimatedSize}: {string.Join(", ", memory.Keys)}");
    }

    [Fact]
    public async Task Without_redis_requests_are_computed_and_caching_resumes_when_it_is_back()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var api = await StartApiAsync(new() { ["SummaryCache:RedisCircuitBreakerDuration"] = "00:00:01" }, redis);
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var expected = await client.GetStringAsync($"/v1/issues/gum-summary?appId={app.Id}&{Window}");

        await redis.StopAsync();
        for (var minute = 10; minute < 20; minute++)
        {
            var response = await client.GetAsync($"/v1/issues/gum-summary?appId={app.Id}&created_at_gte=2026-03-01T00:{minute}:00Z");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("MISS", Responses.CacheHeader(response));
            Assert.Equal(expected, await response.Content.ReadAsStringAsync());
        }
        Assert.Single(api.Factory.Logs.GetSnapshot(), log => log.Message.StartsWith("Redis is unreachable", StringComparison.Ordinal));

        await redis.StartAsync();
        await Responses.EventuallyAsync(async () =>
        {
            await client.GetAsync($"/v1/issues/gum-summary?appId={app.Id}&created_at_gte={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffffffZ}");
            return (await KeysAsync(redis)).Length > 0;
        });
    }

    [Fact]
    public async Task Without_postgres_a_computed_key_is_served_stale_and_an_unknown_one_is_503()
    {
        await using var postgres = await PostgresServer.StartNewAsync();
        await using var api = await StartApiAsync(new() { ["SummaryCache:Ttl"] = "00:00:01" }, postgres: postgres);
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var cached = $"/v1/conferences/summary?appId={app.Id}&{Window}";
        var fresh = await client.GetAsync(cached);

        await postgres.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var stale = await client.GetAsync(cached);
        var unknown = await client.GetAsync($"/v1/conferences/summary?appId={app.Id}&created_at_gte=2026-02-01T00:00:00Z");

        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("STALE", Responses.CacheHeader(stale));
        Assert.Equal(await fresh.Content.ReadAsStringAsync(), await stale.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"error_code\":\"service_unavailable\"", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Fifty_concurrent_cold_requests_compute_once()
    {
        await using var api = await StartApiAsync();
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 20);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var url = $"/v1/sessions/summary?appId={app.Id}&{Window}";

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.GetAsync(url)));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(bodies.Distinct());
        Assert.Equal(1, api.Computes("sessions.summary"));
    }

    [Fact]
    public async Task Organizations_with_identical_filters_never_see_each_others_bodies()
    {
        await using var api = await StartApiAsync();
        var (orgA, appA) = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 1);
        var (orgB, appB) = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 3);
        using var clientA = api.Factory.CreateClientFor(orgA.Id);
        using var clientB = api.Factory.CreateClientFor(orgB.Id);

        var bodyA = await clientA.GetStringAsync($"/v1/connections/summary?appId={appA.Id}&{Window}");
        var bodyB = await clientB.GetStringAsync($"/v1/connections/summary?appId={appB.Id}&{Window}");
        var foreign = await clientA.GetAsync($"/v1/connections/summary?appId={appB.Id}&{Window}");

        Assert.Equal("""{"data":[{"name":"Direct","count":0},{"name":"Relayed","count":1}]}""", bodyA);
        Assert.Equal("""{"data":[{"name":"Direct","count":0},{"name":"Relayed","count":3}]}""", bodyB);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.False(foreign.Headers.Contains("X-Cache"));
    }

    [Fact]
    public async Task Only_a_refresh_token_can_force_a_recompute()
    {
        await using var api = await StartApiAsync();
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var dashboard = api.Factory.CreateClientFor(organization.Id);
        using var prewarmer = api.Factory.CreateRefreshClient();
        var url = $"/v1/conferences/duration-summary?appId={app.Id}&{Window}";
        var body = await dashboard.GetStringAsync(url);

        Assert.Equal("HIT", await Responses.CacheHeaderOf(dashboard, url, noCache: true));
        Assert.Equal("MISS", await Responses.CacheHeaderOf(prewarmer, url, noCache: true));
        Assert.Equal("HIT", await Responses.CacheHeaderOf(dashboard, url));
        Assert.Equal(2, api.Computes("conferences.duration_summary"));
        Assert.Equal(body, await dashboard.GetStringAsync(url));
    }

    [Fact]
    public async Task Requests_are_traced_and_slow_computes_logged()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        await using var api = await StartApiAsync(new() { ["SummaryCache:SlowComputeThreshold"] = "00:00:00" });
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var url = $"/v1/issues/summary?appId={app.Id}&{Window}";

        await client.GetAsync(url);
        await client.GetAsync(url);

        List<object?> cacheHits;
        lock (spans)
        {
            cacheHits = spans.Where(s => s.GetTagItem("url.path") as string == "/v1/issues/summary" || s.DisplayName.Contains("issues"))
                .Select(s => s.GetTagItem("cache.hit")).ToList();
        }
        Assert.Equal([false, true], cacheHits);
        var warning = Assert.Single(api.Factory.Logs.GetSnapshot(), log => log.Level == LogLevel.Warning && log.Message.StartsWith("Slow summary compute", StringComparison.Ordinal));
        Assert.Contains("issues.summary", warning.Message);
        Assert.Contains(app.Id.ToString(), warning.Message);
    }

    private static async Task<string[]> KeysAsync(RedisServer redis)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        return connection.GetServer(connection.GetEndPoints().Single()).Keys(pattern: "*").Select(k => k.ToString()).ToArray();
    }

    // Redis writes happen in the background, after the response.
    private static async Task<string[]> WaitForKeysAsync(RedisServer redis, int expected)
    {
        string[] keys = [];
        await Responses.EventuallyAsync(async () => (keys = await KeysAsync(redis)).Length >= expected);
        return keys;
    }

    private Task<TestApi> StartApiAsync(Dictionary<string, string?>? settings = null,
        RedisServer? redis = null, PostgresServer? postgres = null) =>
        TestApi.StartAsync(postgres ?? infrastructure.Postgres, redis ?? infrastructure.Redis, settings);
}
