using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Tests.Caching;

namespace PeerMetrics.Api.Tests.Rollups;

[Collection(InfrastructureCollection.Name)]
public sealed class RollupsTracesTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Idle_polls_export_no_span_and_a_run_that_applied_changes_is_one_root_span()
    {
        var spans = new ExportedSpans();
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, services: spans.Register);
        var database = new NpgsqlConnectionStringBuilder(api.ConnectionString).Database;
        var monitor = api.Factory.Services.GetRequiredService<RollupsMonitor>();
        await Responses.EventuallyAsync(() => Task.FromResult(monitor.Status is { Ready: true, Backlog: 0 }));
        var idleFrom = spans.Snapshot().Count;

        // Ten polls at the default interval.
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.DoesNotContain(spans.Snapshot().Skip(idleFrom), span => ExportedSpans.DatabaseOf(span) == database);

        await CacheTestData.SeedAppAsync(api.ConnectionString);

        // Spans end before their parent: a run's root is exported after its statements.
        List<Activity> ours = [], runs = [];
        await Responses.EventuallyAsync(() =>
        {
            var exported = spans.Snapshot();
            ours = [.. exported.Where(span => ExportedSpans.DatabaseOf(span) == database)];
            runs = [.. exported.Where(span => span.DisplayName == "rollups.apply" && ours.Any(statement => statement.TraceId == span.TraceId))];
            return Task.FromResult(runs.Count > 0);
        });
        Assert.All(runs, run => Assert.Equal(default, run.ParentSpanId));
        Assert.All(ours.Where(statement => runs.Any(run => run.TraceId == statement.TraceId)),
            statement => Assert.Contains(runs, run => run.SpanId == statement.ParentSpanId));
        Assert.True(runs.Sum(run => (long)run.GetTagItem("rollups.consumed")!) > 0);
    }
}
