using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Infrastructure;

/// <summary>
/// The whole application as the AppHost describes it — Postgres and Redis as local processes, the Api and the
/// Prewarmer — started once for the tests of the collection and healthy before the first test runs.
/// Postgres gets a throw-away data directory, so each run starts from an empty cluster and never touches the
/// developer's <c>.data</c>. A derived fixture adds AppHost settings or stops and starts the application again on
/// the same data directory (a restart).
/// </summary>
public class AppHostFixture : IAsyncLifetime
{
    public const string Postgres = "postgres";
    public const string Redis = "redis";
    public const string Database = "peermetrics";
    public const string Cache = "cache";
    public const string Api = "api";
    public const string Prewarmer = "prewarmer";

    /// <summary>
    /// <c>PEERMETRICS_DEMO_SCALE</c> (unset: the AppHost's default) seeds more demo data, for the scale-10 soak
    /// recorded in docs/benchmarks.md; the start then waits longer for the seed.
    /// </summary>
    public static readonly double? DemoScale = double.TryParse(Environment.GetEnvironmentVariable("PEERMETRICS_DEMO_SCALE"),
        NumberStyles.Float, CultureInfo.InvariantCulture, out var scale) ? scale : null;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(30 * (DemoScale ?? 0));

    private readonly string _dataDirectory =
        Path.Combine(Path.GetTempPath(), "peermetrics-apphost-tests", Guid.NewGuid().ToString("N"));

    public AppHostFixture(IMessageSink diagnostics) => Logs = new TestOutputLoggerProvider(diagnostics);

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The JWT signing key the Api and the Prewarmer were given, for tests that mint tokens.</summary>
    public string SigningKey { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Application and resource logs; a test attaches its output with <see cref="TestOutputLoggerProvider.Attach"/>.</summary>
    public TestOutputLoggerProvider Logs { get; }

    /// <summary>How long the start took, up to every resource healthy.</summary>
    public TimeSpan StartDuration { get; private set; }

    /// <summary>AppHost settings (<c>Key=Value</c>) of a derived fixture, after the fixture's own.</summary>
    protected virtual IEnumerable<string> Settings => [];

    /// <summary>Changes to the application model of a derived fixture (a resource's environment), before it is built.</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    public virtual async Task InitializeAsync() => await StartAsync();

    /// <summary>Starts the application and waits until every instance of every resource is healthy.</summary>
    protected async Task StartAsync()
    {
        var started = TimeProvider.System.GetTimestamp();
        using var timeout = new CancellationTokenSource(StartTimeout);

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PeerMetrics_AppHost>(
        [
            "Infrastructure:Mode=local",
            $"Infrastructure:DataDirectory={_dataDirectory}",
            // Given here so the test run neither reads nor writes the developer's user secrets.
            $"Parameters:jwt-signing-key={SigningKey}",
            .. DemoScale is { } demoScale ? [$"Database:DemoDataScale={demoScale.ToString(CultureInfo.InvariantCulture)}"] : Array.Empty<string>(),
            .. Settings,
        ], timeout.Token);

        Configure(builder);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Aspire.Hosting.Dcp", LogLevel.Warning)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            // Probes fail, as expected, while a resource starts and after it stops; the resource states tell more.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical)
            .AddProvider(Logs));

        App = await builder.BuildAsync(timeout.Token);
        await App.StartAsync(timeout.Token);

        // Every replica, not just the first to be healthy; fail fast (not after the timeout) when one fails to
        // start or exits.
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var name in new[] { Postgres, Redis, Database, Cache, Api, Prewarmer })
        {
            var resource = model.Resources.Single(r => r.Name == name);
            var replicas = resource.Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1;
            var healthy = new HashSet<string>();
            await foreach (var resourceEvent in App.ResourceNotifications.WatchAsync(timeout.Token))
            {
                if (resourceEvent.Resource != resource)
                {
                    continue;
                }
                if (IsUnavailable(resourceEvent.Snapshot.State?.Text))
                {
                    throw new InvalidOperationException(
                        $"{resourceEvent.ResourceId} is {resourceEvent.Snapshot.State?.Text}; its log is in the test output");
                }
                if (resourceEvent.Snapshot.HealthStatus == HealthStatus.Healthy && healthy.Add(resourceEvent.ResourceId) && healthy.Count == replicas)
                {
                    break;
                }
            }
        }
        StartDuration = TimeProvider.System.GetElapsedTime(started);
        Logs.Diagnostic($"AppHost healthy after {StartDuration.TotalSeconds:F1} s");
    }

    /// <summary>Stops the application; the data directory stays, so the next <see cref="StartAsync"/> is a restart.</summary>
    protected async Task StopAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        App = null!;
    }

    private static bool IsUnavailable(string? state) =>
        state == KnownResourceStates.FailedToStart || state == KnownResourceStates.Exited || state == KnownResourceStates.Finished;

    public virtual async Task DisposeAsync()
    {
        if (App is not null)
        {
            await StopAsync();
        }
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Never created, or a process has not quite let go; the temp directory is cleaned eventually.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "apphost";
}
