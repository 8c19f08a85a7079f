using PeerMetrics.Api.Summaries.Definitions;
using System.Net;
using System.Text.Json;
using PeerMetrics.AppHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests;

[Collection(AppHostCollection.Name)]
public sealed class ApplicationStartTests(AppHostFixture app, ITestOutputHelper output) : IDisposable
{
    private readonly IDisposable _logs = app.Logs.Attach(output);

    [Theory]
    [InlineData(AppHostFixture.Postgres)]
    [InlineData(AppHostFixture.Redis)]
    [InlineData(AppHostFixture.Database)]
    [InlineData(AppHostFixture.Cache)]
    [InlineData(AppHostFixture.Api)]
    [InlineData(AppHostFixture.Prewarmer)]
    public void Every_resource_is_running_and_healthy(string name)
    {
        Assert.True(app.App.ResourceNotifications.TryGetCurrentState(name, out var resource), $"{name} is not in the model");
        Assert.Equal(KnownResourceStates.Running, resource.Snapshot.State?.Text);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, resource.Snapshot.HealthStatus);
    }

    [Fact]
    public async Task Api_health_is_healthy()
    {
        using var client = app.App.CreateHttpClient(AppHostFixture.Api);

        var (code, status, _) = await Responses.HealthAsync(client);
        output.WriteLine($"The application was healthy {app.StartDuration.TotalSeconds:F1} s after the start");

        Assert.Equal((HttpStatusCode.OK, "Healthy"), (code, status));
    }

    [Fact]
    public async Task Api_database_and_cache_connection_strings_are_provided()
    {
        Assert.StartsWith("Host=127.0.0.1;", await app.App.GetConnectionStringAsync(AppHostFixture.Database));
        Assert.StartsWith("127.0.0.1:", await app.App.GetConnectionStringAsync(AppHostFixture.Cache));
    }

    [Fact]
    public async Task V1_routes_refuse_a_request_without_a_token()
    {
        using var client = app.App.CreateHttpClient(AppHostFixture.Api);

        // Every GET /v1 route the Api documents: the eight summaries and the drill-down.
        using var openApi = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var routes = openApi.RootElement.GetProperty("paths").EnumerateObject()
            .Where(path => path.Name.StartsWith("/v1/", StringComparison.Ordinal) && path.Value.TryGetProperty("get", out _))
            .Select(path => path.Name)
            .ToList();
        string[] expected = [.. SummaryCatalog.All.Select(summary => summary.Route), "/v1/conferences"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), routes.Order(StringComparer.Ordinal));

        foreach (var route in routes)
        {
            var response = await client.GetAsync(route);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{route} answered {(int)response.StatusCode} without a token");
        }
    }

    public void Dispose() => _logs.Dispose();
}
