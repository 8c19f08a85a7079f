using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using PeerMetrics.Api.Summaries.Definitions;
using PeerMetrics.AppHost.Tests.Infrastructure;
using PeerMetrics.Testing;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Prewarming;

/// <summary>
/// The Prewarmer as the AppHost runs it, with its defaults (a cycle every 30 s, summary TTL 60 s) against the
/// seeded demo data: dashboards of active apps never meet a cold default window.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed partial class PrewarmTests(AppHostFixture app, ITestOutputHelper output) : IDisposable
{
    // 150 s in CI; PEERMETRICS_SOAK_SECONDS=600 gives the 10-minute soak recorded in docs/benchmarks.md.
    private static readonly TimeSpan SoakDuration = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("PEERMETRICS_SOAK_SECONDS"), out var seconds) ? seconds : 150);
    private static readonly TimeSpan SoakStep = TimeSpan.FromSeconds(3);

    private readonly IDisposable _logs = app.Logs.Attach(output);

    [Fact]
    public async Task After_start_up_the_first_dashboard_request_of_every_active_app_is_a_hit_for_all_eight()
    {
        await WaitForWarmCycleAsync();
        var apps = await DemoTenants.ActiveAppsAsync(app);
        Assert.NotEmpty(apps);

        foreach (var (appId, organizationId) in apps)
        {
            using var dashboard = DemoTenants.DashboardClient(app, organizationId);
            foreach (var route in SummaryCatalog.All.Select(summary => summary.Route))
            {
                Assert.Equal("HIT", await CacheHeaderOf(dashboard, DashboardRequests.DefaultWindowUrl(route, appId)));
            }
        }
    }

    [Fact]
    public async Task A_soak_across_minute_boundaries_never_meets_a_miss()
    {
        await WaitForWarmCycleAsync();
        // The steady state: on large demo data the rollups backfill for a while after the start (raw rows serve).
        await WaitForRollupsAsync();
        using var cycles = new CycleRecorder(app);
        var apps = await DemoTenants.ActiveAppsAsync(app);
        var clients = apps.ToDictionary(a => a.AppId, a => DemoTenants.DashboardClient(app, a.OrganizationId));
        var results = new Dictionary<string, int>();
        var misses = new List<string>();
        var started = DateTime.UtcNow;

        try
        {
            while (DateTime.UtcNow - started < SoakDuration)
            {
                foreach (var (appId, client) in clients)
                {
                    foreach (var route in SummaryCatalog.All.Select(summary => summary.Route))
                    {
                        var url = DashboardRequests.DefaultWindowUrl(route, appId);
                        var result = await CacheHeaderOf(client, url) ?? "none";
                        results[result] = results.GetValueOrDefault(result) + 1;
                        if (result != "HIT")
                        {
                            misses.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {result} {url}");
                        }
                    }
                }
                await Task.Delay(SoakStep);
            }
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }

        var minutes = (int)(DateTime.UtcNow.Ticks / TimeSpan.TicksPerMinute - started.Ticks / TimeSpan.TicksPerMinute);
        output.WriteLine($"{apps.Count} apps, {minutes} minute boundaries crossed: {string.Join(", ", results.Select(r => $"{r.Key} {r.Value}"))}");
        var durations = cycles.Durations.Order().ToList();
        if (durations.Count > 0)
        {
            output.WriteLine($"Prewarmer cycles during the soak: {durations.Count}, min {durations[0]} ms, " +
                             $"median {durations[durations.Count / 2]} ms, max {durations[^1]} ms");
        }
        Assert.True(minutes >= 2, "the soak must cross at least two minute boundaries");
        Assert.Empty(misses);
    }

    /// <summary>Waits for the Prewarmer's log line of a cycle that warmed at least one app.</summary>
    private async Task WaitForWarmCycleAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90 + 30 * (AppHostFixture.DemoScale ?? 0)));
        // Logs are kept per resource instance (e.g. prewarmer-abcd1234), not per resource name.
        Assert.True(app.App.ResourceNotifications.TryGetCurrentState(AppHostFixture.Prewarmer, out var prewarmer));
        var logs = app.App.Services.GetRequiredService<ResourceLoggerService>();
        await foreach (var batch in logs.WatchAsync(prewarmer.ResourceId).WithCancellation(timeout.Token))
        {
            if (batch.Select(line => CycleLine().Match(line.Content)).FirstOrDefault(m => m.Success) is { } cycle)
            {
                output.WriteLine($"Prewarmer: {cycle.Value}");
                return;
            }
        }
    }

    /// <summary>Waits (up to 10 min) until the Api reports the rollups ready, and prints how long that took.</summary>
    private async Task WaitForRollupsAsync()
    {
        using var client = app.App.CreateHttpClient(AppHostFixture.Api);
        var started = TimeProvider.System.GetTimestamp();
        await Responses.EventuallyAsync(async () =>
        {
            var (_, _, report) = await Responses.HealthAsync(client);
            return report["checks"]?["rollups"]?["data"]?["phase"]?.GetValue<string>() == "ready";
        }, TimeSpan.FromMinutes(10));
        output.WriteLine($"Rollups ready {TimeProvider.System.GetElapsedTime(started).TotalSeconds:F0} s after the first warm cycle");
    }

    /// <summary>The durations of the Prewarmer's cycles logged while it is alive (the replayed backlog, the first batch, skipped).</summary>
    private sealed class CycleRecorder : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<long> _durations = [];
        private readonly Task _watching;

        public CycleRecorder(AppHostFixture app)
        {
            Assert.True(app.App.ResourceNotifications.TryGetCurrentState(AppHostFixture.Prewarmer, out var prewarmer));
            var logs = app.App.Services.GetRequiredService<ResourceLoggerService>();
            _watching = Task.Run(async () =>
            {
                try
                {
                    var backlog = true;
                    await foreach (var batch in logs.WatchAsync(prewarmer.ResourceId).WithCancellation(_stop.Token))
                    {
                        if (backlog)
                        {
                            backlog = false;
                            continue;
                        }
                        foreach (var match in batch.Select(line => CycleLine().Match(line.Content)).Where(m => m.Success))
                        {
                            lock (_durations)
                            {
                                _durations.Add(long.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture));
                            }
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        public IReadOnlyList<long> Durations
        {
            get
            {
                lock (_durations)
                {
                    return [.. _durations];
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _watching.Wait();
            _stop.Dispose();
        }
    }

    private static async Task<string?> CacheHeaderOf(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode}");
        return response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;
    }

    public void Dispose() => _logs.Dispose();

    [GeneratedRegex(@"Warmed \d+ summary entries across [1-9]\d* apps \(\d+ failed\) in (?<ms>\d+) ms")]
    private static partial Regex CycleLine();
}
