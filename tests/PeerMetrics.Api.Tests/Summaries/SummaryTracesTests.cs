using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Summaries.Definitions;
using PeerMetrics.Api.Tests.Caching;

namespace PeerMetrics.Api.Tests.Summaries;

[Collection(InfrastructureCollection.Name)]
public sealed class SummaryTracesTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task A_computed_requests_trace_shows_its_stages_in_order_and_a_hits_only_the_request()
    {
        var spans = new ExportedSpans();
        await using var scenario = await SummaryScenario.StartAsync(infrastructure, services: spans.Register);
        var rollups = scenario.Api.Factory.Services.GetRequiredService<RollupsMonitor>();
        await Responses.EventuallyAsync(() => Task.FromResult(rollups.CanServe()));
        CacheTestData.AddConference(scenario.Data, scenario.App, 0);
        await scenario.SaveAsync();
        var url = $"{IssueCodeSummary.Definition.Route}?appId={scenario.App.Id}&created_at_gte=2026-03-01T00:00:00Z";

        var miss = await GetInTraceAsync(scenario.Client, url);
        var hit = await GetInTraceAsync(scenario.Client, url);

        var missSpans = await TraceAsync(spans, miss);
        var server = Assert.Single(missSpans, span => span.Kind == ActivityKind.Server);
        var stages = missSpans.Where(span => span.Source.Name == ApiTelemetry.Name).OrderBy(span => span.StartTimeUtc).ToList();
        Assert.All(stages, stage => Assert.Equal(server.SpanId, stage.ParentSpanId));
        Assert.Equal(
            ["summary.authorize", "summary.cache.lookup", "summary.limiter", "summary.rollups", "summary.sql", "summary.serialize",
             "summary.compress", "summary.cache.write"],
            stages.Select(stage => stage.DisplayName).Where(name => name != "summary.rollups.catch_up").Distinct());
        var sql = stages.Single(stage => stage.DisplayName == "summary.sql");
        Assert.Contains(missSpans, span => span.Source.Name == "Npgsql" && span.ParentSpanId == sql.SpanId);
        Assert.All(stages.Zip(stages.Skip(1)), pair => Assert.True(pair.First.StartTimeUtc + pair.First.Duration <= pair.Second.StartTimeUtc,
            $"{pair.First.DisplayName} overlaps {pair.Second.DisplayName}"));

        var hitSpans = await TraceAsync(spans, hit);
        Assert.Equal([ActivityKind.Server], hitSpans.Select(span => span.Kind));
        Assert.Equal(true, hitSpans[0].GetTagItem("cache.hit"));
    }

    // The request continues a trace of the test's own, so its spans are told apart from other tests' Apis.
    private static async Task<ActivityTraceId> GetInTraceAsync(HttpClient client, string url)
    {
        var trace = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return trace;
    }

    // The server span ends after the response is sent.
    private static async Task<List<Activity>> TraceAsync(ExportedSpans spans, ActivityTraceId trace)
    {
        List<Activity> found = [];
        await Responses.EventuallyAsync(() =>
        {
            found = [.. spans.Snapshot().Where(span => span.TraceId == trace)];
            return Task.FromResult(found.Any(span => span.Kind == ActivityKind.Server));
        });
        return found;
    }
}
