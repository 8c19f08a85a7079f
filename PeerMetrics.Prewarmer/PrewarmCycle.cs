using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace PeerMetrics.Prewarmer;

/// <summary>A summary the Api serves: its path and its cache label (a low-cardinality metric tag and the name in logs).</summary>
public sealed record SummaryRoute(string Path, string Label);

/// <summary>
/// One prewarm cycle: ask the Api for the active apps, then force a recompute of every summary of each app
/// for the dashboard's default window, through the Api's own route, cache, keys and bytes. The Api names the
/// summaries in the same answer, and the Prewarmer never computes or writes a cache entry itself, so it cannot
/// drift from what the dashboard reads.
/// </summary>
public sealed partial class PrewarmCycle(
    IHttpClientFactory httpClients,
    RefreshTokenSource tokens,
    PrewarmTelemetry telemetry,
    IOptions<PrewarmOptions> options,
    TimeProvider time,
    ILogger<PrewarmCycle> logger)
{
    public const string HttpClientName = "peermetrics-api";

    private int _cycles;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var activity = PrewarmTelemetry.ActivitySource.StartActivity("prewarm cycle");
        var started = time.GetTimestamp();
        // A cycle never outlives the lease it runs under, or two replicas could be refreshing at once.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(settings.LeaseDuration);

        var client = httpClients.CreateClient(HttpClientName);
        var now = time.GetUtcNow();
        ActiveApps listing;
        try
        {
            listing = await GetActiveAppsAsync(client, now - settings.ActiveWithin, deadline.Token);
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            telemetry.ListingFailed();
            activity?.SetStatus(ActivityStatusCode.Error, "active apps unavailable");
            LogListingFailed(Describe(exception));
            telemetry.CycleCompleted(time.GetElapsedTime(started), cutShort: false);
            return;
        }

        var apps = listing.Apps;
        // The first cycle of a Prewarmer meets an Api that has usually just started as well (JIT, empty pools, rollups
        // still backfilling): its slow refreshes say nothing about the steady state, and are not warnings.
        var firstCycle = Interlocked.Increment(ref _cycles) == 1;
        var run = new CycleRun(client, listing.Summaries, PrewarmWindows.For(now, settings.DefaultWindow), settings.MaxConcurrency,
            firstCycle);
        var cutShort = false;
        try
        {
            await Parallel.ForEachAsync(apps,
                new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrency, CancellationToken = deadline.Token },
                async (app, token) => await WarmAppAsync(run, app, token));
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            cutShort = true;
            LogCutShort(settings.LeaseDuration.TotalSeconds);
        }
        finally
        {
            run.Gate.Dispose();
        }

        var elapsed = time.GetElapsedTime(started);
        telemetry.CycleCompleted(elapsed, cutShort);
        activity?.SetTag("prewarm.apps", apps.Count);
        activity?.SetTag("prewarm.entries", run.Refreshed);
        activity?.SetTag("prewarm.failures", run.Failed);
        if (run.Failed > 0)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "some refreshes failed");
            LogFailures(run.Failed, run.FirstFailure ?? "unknown");
        }
        LogCycle(run.Refreshed, apps.Count, run.Failed, (long)elapsed.TotalMilliseconds);
    }

    private async Task<ActiveApps> GetActiveAppsAsync(HttpClient client, DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/internal/active-apps?since={Iso(since.UtcDateTime)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Current);
        using var response = await client.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<ActiveApps>(cancellationToken);
        return body is { Apps: not null, Summaries: not null }
            ? body
            : throw new InvalidOperationException("the active apps response lacks 'apps' or 'summaries'");
    }

    private async Task WarmAppAsync(CycleRun run, Guid app, CancellationToken cancellationToken)
    {
        using var activity = PrewarmTelemetry.ActivitySource.StartActivity("prewarm app");
        activity?.SetTag("peermetrics.app.id", app.ToString());

        // Current minute first: it is the key dashboards are reading right now.
        var refreshes = run.Windows
            .SelectMany(gte => run.Summaries.Select(route => RefreshAsync(run, app, route, gte, cancellationToken)))
            .ToList();
        var results = await Task.WhenAll(refreshes);

        telemetry.AppWarmed();
        if (results.Contains(false))
        {
            activity?.SetStatus(ActivityStatusCode.Error, "some refreshes failed");
        }
    }

    private async Task<bool> RefreshAsync(CycleRun run, Guid app, SummaryRoute route, DateTime gte, CancellationToken cancellationToken)
    {
        // The gate bounds requests across all apps of the cycle, not per app.
        await run.Gate.WaitAsync(cancellationToken);
        var started = time.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get,
                $"{route.Path}?appId={app}&created_at_gte={Iso(gte)}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Current);
            // With the refresh scope this makes the Api recompute and overwrite the entry instead of reading it.
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
            // The body is discarded: its smallest form costs least to send.
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("br"));
            using var response = await run.Client.SendAsync(request, cancellationToken);
            var elapsed = time.GetElapsedTime(started);
            if (!response.IsSuccessStatusCode)
            {
                return run.Fail(telemetry, route, $"{route.Label} for app {app}: HTTP {(int)response.StatusCode}");
            }

            run.Succeeded();
            telemetry.EntryRefreshed(route.Label, elapsed);
            if (elapsed >= options.Value.SlowRefreshThreshold)
            {
                LogSlowRefresh(run.FirstCycle ? LogLevel.Information : LogLevel.Warning, route.Label, app,
                    (long)elapsed.TotalMilliseconds);
            }
            return true;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            return run.Fail(telemetry, route, $"{route.Label} for app {app}: {Describe(exception)}");
        }
        finally
        {
            run.Gate.Release();
        }
    }

    // The same instant the dashboard's toISOString() would send, already on the minute.
    private static string Iso(DateTime utc) =>
        utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    // One line, no stack trace: the cause is almost always "the Api / Redis / Postgres is down".
    private static string Describe(Exception exception) =>
        $"{exception.GetType().Name}: {exception.GetBaseException().Message}";

    /// <summary>The Api's answer: the apps to warm and the summaries to warm for each.</summary>
    private sealed record ActiveApps(IReadOnlyList<Guid> Apps, IReadOnlyList<SummaryRoute> Summaries);

    /// <summary>State shared by the refreshes of one cycle.</summary>
    private sealed class CycleRun(HttpClient client, IReadOnlyList<SummaryRoute> summaries, IReadOnlyList<DateTime> windows, int maxConcurrency,
        bool firstCycle)
    {
        private int _refreshed;
        private int _failed;
        private string? _firstFailure;

        public HttpClient Client { get; } = client;
        public IReadOnlyList<SummaryRoute> Summaries { get; } = summaries;
        public IReadOnlyList<DateTime> Windows { get; } = windows;
        public bool FirstCycle { get; } = firstCycle;
        public SemaphoreSlim Gate { get; } = new(maxConcurrency, maxConcurrency);
        public int Refreshed => Volatile.Read(ref _refreshed);
        public int Failed => Volatile.Read(ref _failed);
        public string? FirstFailure => Volatile.Read(ref _firstFailure);

        public void Succeeded() => Interlocked.Increment(ref _refreshed);

        public bool Fail(PrewarmTelemetry telemetry, SummaryRoute route, string reason)
        {
            Interlocked.Increment(ref _failed);
            Interlocked.CompareExchange(ref _firstFailure, reason, null);
            telemetry.RefreshFailed(route.Label);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Warmed {Entries} summary entries across {Apps} apps ({Failed} failed) in {ElapsedMs} ms")]
    private partial void LogCycle(int entries, int apps, int failed, long elapsedMs);

    [LoggerMessage(Message = "Slow summary refresh: {Summary} for app {AppId} took {ElapsedMs} ms")]
    private partial void LogSlowRefresh(LogLevel level, string summary, Guid appId, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Failed} summary refreshes failed this cycle; first: {FirstFailure}")]
    private partial void LogFailures(int failed, string firstFailure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prewarm cycle skipped: could not list active apps ({Reason}); retrying next cycle")]
    private partial void LogListingFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prewarm cycle cut short after {LimitSeconds:F0} s (its lease duration); the rest waits for the next cycle")]
    private partial void LogCutShort(double limitSeconds);
}
