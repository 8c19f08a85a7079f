using PeerMetrics.AppHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Telemetry;

[Collection(IdleTracesCollection.Name)]
public sealed class IdleTracesTests(IdleTracesFixture app, ITestOutputHelper output) : IDisposable
{
    // A thousand rollups polls at the fixture's interval: more than an idle minute at the default one.
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(20);

    private readonly IDisposable _logs = app.Logs.Attach(output);

    [Fact]
    public async Task An_idle_api_exports_no_more_than_a_handful_of_traces()
    {
        using var client = app.App.CreateHttpClient(AppHostFixture.Api);
        // The demo data's backfill is real work, a rollups.apply trace per run: the Api is idle once it is done.
        await Responses.EventuallyAsync(async () =>
        {
            var (_, _, report) = await Responses.HealthAsync(client);
            var rollups = report["checks"]?["rollups"]?["data"];
            return rollups?["phase"]?.GetValue<string>() == "ready" && rollups["backlog"]?.GetValue<long>() == 0;
        }, TimeSpan.FromMinutes(2));
        // The exporter reaches the receiver, and the backfill's runs were traced.
        await Responses.EventuallyAsync(() => Task.FromResult(app.Receiver.Spans.Any(span => span.Name == "rollups.apply" && span.ParentSpanId is null)));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var before = app.Receiver.Spans.Count;

        await Task.Delay(IdleWindow);
        await Task.Delay(TimeSpan.FromSeconds(2));

        var traces = app.Receiver.Spans.Skip(before).GroupBy(span => span.TraceId).ToList();
        foreach (var trace in traces)
        {
            output.WriteLine($"{trace.Key}: {string.Join(", ", trace.Select(span => $"{span.Scope} {span.Name}").Distinct())}");
        }
        // The Prewarmer's cycle (every 30 s) is one trace: its refreshes in the Api are spans of the cycle's trace.
        Assert.True(traces.Count <= 3,
            $"{traces.Count} traces in {IdleWindow.TotalSeconds} s of {IdleWindow / IdleTracesFixture.PollInterval:F0} rollups polls");
    }

    public void Dispose() => _logs.Dispose();
}
