using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using PeerMetrics.AppHost.Tests.Infrastructure;
using PeerMetrics.AppHost.Tests.Prewarming;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Operations;

/// <summary>
/// Redis stops while the application runs: the Api keeps answering, and each service says so once, however
/// often the Redis client tries to reconnect and however many requests come in.
/// </summary>
[Collection(RestartCollection.Name)]
public sealed partial class RedisOutageTests(RestartFixture app, ITestOutputHelper output) : IDisposable
{
    // The Prewarmer notices at its next cycle (every 30 s by default); after that, the outage goes on long enough
    // for several reconnect attempts of the Redis client, Prewarmer retries and circuit-breaker cycles of the Api.
    private static readonly TimeSpan UntilNoticed = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AfterNoticed = TimeSpan.FromSeconds(12);

    private readonly IDisposable _logs = app.Logs.Attach(output);

    [Fact]
    public async Task A_redis_outage_is_logged_once_by_the_api_and_once_by_the_prewarmer()
    {
        var apps = await DemoTenants.ActiveAppsAsync(app);
        var (appId, organizationId) = apps[0];
        using var dashboard = DemoTenants.DashboardClient(app, organizationId);
        var stoppedAt = DateTime.UtcNow;
        var commands = app.App.Services.GetRequiredService<ResourceCommandService>();

        var stopped = await commands.ExecuteCommandAsync(AppHostFixture.Redis, KnownResourceCommands.StopCommand);
        Assert.True(stopped.Success, stopped.Message);
        try
        {
            // Dashboard traffic during the outage, each request a new window: a compute and a cache write each.
            var started = DateTime.UtcNow;
            DateTime? noticed = null;
            for (var minutes = 1; noticed is null || DateTime.UtcNow - noticed < AfterNoticed; minutes++)
            {
                Assert.True(DateTime.UtcNow - started < UntilNoticed, "the Prewarmer never noticed the outage");
                var since = DateTime.UtcNow.AddDays(-7).AddMinutes(-minutes);
                var response = await dashboard.GetAsync($"/v1/conferences/summary?appId={appId}&created_at_gte={since:yyyy-MM-ddTHH:mm}:00Z");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await Task.Delay(TimeSpan.FromSeconds(1));
                if (noticed is null && (await WarningsSinceAsync(AppHostFixture.Prewarmer, stoppedAt)).Count > 0)
                {
                    noticed = DateTime.UtcNow;
                }
            }

            var api = await WarningsSinceAsync(AppHostFixture.Api, stoppedAt);
            var prewarmer = await WarningsSinceAsync(AppHostFixture.Prewarmer, stoppedAt);
            output.WriteLine(string.Join(Environment.NewLine, api.Concat(prewarmer)));

            Assert.Contains("Redis", Assert.Single(api), StringComparison.Ordinal);
            Assert.Contains("Redis", Assert.Single(prewarmer), StringComparison.Ordinal);

            // And each says so when it is back.
            await StartRedisAsync(commands);
            await ResourceLogs.WaitForAsync(app.App, AppHostFixture.Api, ReachableAgain(), TimeSpan.FromSeconds(30));
            await ResourceLogs.WaitForAsync(app.App, AppHostFixture.Prewarmer, PrewarmResumed(), TimeSpan.FromSeconds(30));
        }
        finally
        {
            await StartRedisAsync(commands);
        }
    }

    private async Task StartRedisAsync(ResourceCommandService commands)
    {
        if (!app.App.ResourceNotifications.TryGetCurrentState(AppHostFixture.Redis, out var redis)
            || redis.Snapshot.State?.Text != KnownResourceStates.Running)
        {
            await commands.ExecuteCommandAsync(AppHostFixture.Redis, KnownResourceCommands.StartCommand);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.App.ResourceNotifications.WaitForResourceHealthyAsync(AppHostFixture.Cache, timeout.Token);
    }

    private async Task<IReadOnlyList<string>> WarningsSinceAsync(string resource, DateTime since) =>
        ResourceLogs.WarningsOrAbove((await ResourceLogs.ReadAsync(app.App, resource)).Where(line => line.Timestamp >= since));

    public void Dispose() => _logs.Dispose();

    [GeneratedRegex("^Redis is reachable again")]
    private static partial Regex ReachableAgain();

    [GeneratedRegex("^Prewarm resumed")]
    private static partial Regex PrewarmResumed();
}
