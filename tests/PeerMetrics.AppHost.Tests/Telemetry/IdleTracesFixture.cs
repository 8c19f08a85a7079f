using PeerMetrics.AppHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Telemetry;

/// <summary>
/// The application with the Api's OTLP exporter pointed at a receiver the test runs on loopback, and the rollups
/// maintainer polling ten times as often as by default (<c>Rollups:PollInterval</c>), so a short window holds more
/// polls than an idle minute does.
/// </summary>
public sealed class IdleTracesFixture(IMessageSink diagnostics) : AppHostFixture(diagnostics)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public OtlpTraceReceiver Receiver { get; } = new();

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        var api = builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == Api);
        var resource = builder.CreateResourceBuilder(api).WithEnvironment("Rollups__PollInterval", PollInterval.ToString("c"));
        // Batches leave every half second, so a window's spans have arrived soon after it closes.
        foreach (var (name, value) in Receiver.ExporterEnvironment(TimeSpan.FromMilliseconds(500)))
        {
            resource.WithEnvironment(name, value);
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class IdleTracesCollection : ICollectionFixture<IdleTracesFixture>
{
    public const string Name = "apphost-idle-traces";
}
