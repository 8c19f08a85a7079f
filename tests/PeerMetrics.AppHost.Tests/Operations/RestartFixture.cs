using System.Text.RegularExpressions;
using PeerMetrics.AppHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Operations;

/// <summary>What the Api and the Prewarmer logged during one start, up to the Prewarmer's first warm cycle.</summary>
public sealed record StartRecord(IReadOnlyList<ResourceLogLine> Api, IReadOnlyList<ResourceLogLine> Prewarmer);

/// <summary>
/// The application with its defaults started on an empty data directory, stopped, and started again on the same
/// one: a fresh start and a restart as a developer sees them. Each start is recorded once the Prewarmer has warmed
/// a cycle, so the record holds the start-up and a round of outgoing requests.
/// </summary>
public sealed partial class RestartFixture(IMessageSink diagnostics) : AppHostFixture(diagnostics)
{
    private static readonly TimeSpan CycleTimeout = TimeSpan.FromSeconds(90);

    public StartRecord FreshStart { get; private set; } = null!;

    public StartRecord Restart { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await StartAsync();
        FreshStart = await RecordAsync();
        await StopAsync();
        await StartAsync();
        Restart = await RecordAsync();
    }

    private async Task<StartRecord> RecordAsync()
    {
        await ResourceLogs.WaitForAsync(App, Prewarmer, WarmCycle(), CycleTimeout);
        return new StartRecord(await ResourceLogs.ReadAsync(App, Api), await ResourceLogs.ReadAsync(App, Prewarmer));
    }

    [GeneratedRegex(@"Warmed \d+ summary entries across [1-9]\d* apps")]
    private static partial Regex WarmCycle();
}

[CollectionDefinition(Name)]
public sealed class RestartCollection : ICollectionFixture<RestartFixture>
{
    public const string Name = "apphost-restart";
}
