using Microsoft.Extensions.DependencyInjection;
using System.Net;

namespace PeerMetrics.Api.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class HealthTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Health_is_ok_after_migrating_an_empty_database_and_reports_the_rollups()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis);
        using var client = api.Factory.CreateClient();
        // The maintainer reads the rollups' status right after start-up; until then the entry has no details.
        var monitor = api.Factory.Services.GetRequiredService<PeerMetrics.Api.Rollups.RollupsMonitor>();
        await Responses.EventuallyAsync(() => Task.FromResult(monitor.Status is not null));

        var (code, status, report) = await Responses.HealthAsync(client);

        Assert.Equal((HttpStatusCode.OK, "Healthy"), (code, status));
        Assert.Equal("Healthy", report["checks"]!["self"]!["status"]!.GetValue<string>());
        var rollups = report["checks"]!["rollups"]!;
        Assert.Equal("Healthy", rollups["status"]!.GetValue<string>());
        Assert.Equal("on", rollups["data"]!["mode"]!.GetValue<string>());
        Assert.NotNull(rollups["data"]!["backlog"]);
        Assert.NotNull(rollups["data"]!["lag_seconds"]);
    }
}
