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
        using var client = api.Factory.CreateRefreshClient();
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

    [Fact]
    public async Task Anonymous_and_dashboard_callers_see_only_the_status()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        using var anonymous = s.Api.Factory.CreateClient();

        foreach (var client in new[] { anonymous, s.Client })
        {
            var (code, status, report) = await Responses.HealthAsync(client);

            Assert.Equal((HttpStatusCode.OK, "Healthy"), (code, status));
            Assert.Equal("""{"status":"Healthy"}""", report.ToJsonString());
        }
    }

    [Fact]
    public async Task Development_shows_the_details_to_anyone()
    {
        var connectionString = await infrastructure.Postgres.CreateDatabaseAsync();
        await using var api = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString, environment: "Development");
        using var anonymous = api.CreateClient();

        var (_, _, report) = await Responses.HealthAsync(anonymous);

        Assert.NotNull(report["checks"]!["self"]);
    }
}
