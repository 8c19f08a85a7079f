using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Infrastructure;

/// <summary>
/// The whole application as the AppHost describes it — Postgres and Redis as local processes, the Api and the
/// Prewarmer — started once for the tests of the collection and healthy before the first test runs.
/// Postgres gets a throw-away data directory, so each run starts from an empty cluster and never touches the
/// developer's <c>.data</c>.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public const string Postgres = "postgres";
    public const string Redis = "redis";
    public const string Database = "peermetrics";
    public const string Cache = "cache";
    public const string Api = "api";
    public const string Prewarmer = "prewarmer";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

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

    public async Task InitializeAsync()
    {
        var started = TimeProvider.System.GetTimestamp();
        using var timeout = new CancellationTokenSource(StartTimeout);

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PeerMetrics_AppHost>(
        [
            "Infrastructure:Mode=local",
            $"Infrastructure:DataDirectory={_dataDirectory}",
            // Given here so the test run neither reads nor writes the developer's user secrets.
            $"Parameters:jwt-signing-key={SigningKey}",
        ], timeout.Token);

        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Aspire.Hosting.Dcp", LogLevel.Warning)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            // Probes fail, as expected, while a resource starts and after it stops; the resource states tell more.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical)
            .AddProvider(Logs));

        App = await builder.BuildAsync(timeout.Token);
        await App.StartAsync(timeout.Token);

        // Fail fast (not after the timeout) when a resource fails to start or exits.
        foreach (var resource in new[] { Postgres, Redis, Database, Cache, Api, Prewarmer })
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, timeout.Token);
        }
        StartDuration = TimeProvider.System.GetElapsedTime(started);
        Logs.Diagnostic($"AppHost healthy after {StartDuration.TotalSeconds:F1} s");
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
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
