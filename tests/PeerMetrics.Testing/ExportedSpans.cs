using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace PeerMetrics.Testing;

/// <summary>
/// The spans an in-process Api's OpenTelemetry pipeline exports, caught where an exporter would get them: after its
/// sampling and its instrumentation suppression. Every Api of the test process feeds every tracer provider, so
/// tests pick theirs by trace or by database name.
/// </summary>
public sealed class ExportedSpans : BaseProcessor<Activity>
{
    private readonly ConcurrentQueue<Activity> _spans = new();

    /// <summary>Adds this collector to the Api's tracer provider (pass to <see cref="TestApi.StartAsync"/>).</summary>
    public void Register(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(this));

    public IReadOnlyList<Activity> Snapshot() => [.. _spans];

    public override void OnEnd(Activity data)
    {
        if (data.Recorded)
        {
            _spans.Enqueue(data);
        }
    }

    /// <summary>The database a Npgsql span ran in; null for other spans.</summary>
    public static string? DatabaseOf(Activity span) =>
        span.Source.Name == "Npgsql" ? (span.GetTagItem("db.namespace") ?? span.GetTagItem("db.name")) as string : null;
}
