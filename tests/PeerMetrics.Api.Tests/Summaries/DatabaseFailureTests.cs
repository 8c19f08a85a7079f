using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using PeerMetrics.Api.Problems;
using PeerMetrics.Api.Tests.Caching;

namespace PeerMetrics.Api.Tests.Summaries;

/// <summary>A database error that is a bug is a 500, never an outage: not 503, not STALE, not cached.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class DatabaseFailureTests(InfrastructureFixture infrastructure)
{
    private const string Window = "created_at_gte=2026-03-01T00:00:00Z";

    [Fact]
    public async Task A_column_renamed_under_a_running_api_is_a_500_logged_at_error_and_never_stale()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis,
            new Dictionary<string, string?>
            {
                ["SummaryCache:Ttl"] = "00:00:01",
                // The request path alone: the rollups' maintainer would also (rightly) fail on the renamed column.
                ["Rollups:Mode"] = "off",
                ["Rollups:Maintain"] = "false",
            });
        using var failures = new MetricCollector<long>(api.Factory.Services.GetRequiredService<IMeterFactory>(),
            ErrorHandler.MeterName, "peermetrics.api.failures");
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var url = $"/v1/sessions/summary?appId={app.Id}&{Window}";
        var before = await client.GetStringAsync(url);

        await AlterAsync(api, "ALTER TABLE app_session RENAME COLUMN platform TO platform_renamed");
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // past the TTL: a STALE entry would be available
        using var failed = await client.GetAsync(url);
        var body = await failed.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        Assert.False(failed.Headers.Contains("X-Cache"));
        JsonAssert.Equal("""
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.6.1","title":"Internal Server Error","status":500,
             "detail":"The request failed because of an error in the service. It has been logged.","error_code":"internal_error"}
            """, body);
        var error = Assert.Single(api.Factory.Logs.GetSnapshot(), log => log.Level >= LogLevel.Warning);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Equal("sessions.summary failed (SQLSTATE 42703): a bug or a schema this service cannot serve, not an outage", error.Message);
        var counted = Assert.Single(failures.GetMeasurementSnapshot());
        Assert.Equal("sessions.summary", counted.Tags["operation"]);
        Assert.Equal("42703", counted.Tags["db.response.status_code"]);

        // Nothing was cached: once the schema is right again, the next request computes.
        await AlterAsync(api, "ALTER TABLE app_session RENAME COLUMN platform_renamed TO platform");
        using var recovered = await client.GetAsync(url);
        Assert.Equal("MISS", Responses.CacheHeader(recovered));
        Assert.Equal(before, await recovered.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_failing_summary_is_never_written_to_the_cache()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis);
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var url = $"/v1/issues/summary?appId={app.Id}&{Window}";

        await AlterAsync(api, "ALTER TABLE app_issue RENAME COLUMN code TO code_renamed");
        using var failed = await client.GetAsync(url);
        await AlterAsync(api, "ALTER TABLE app_issue RENAME COLUMN code_renamed TO code");
        using var next = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal("MISS", Responses.CacheHeader(next));
        Assert.Equal(1, api.Computes("issues.summary"));
        var problem = JsonNode.Parse(await failed.Content.ReadAsStringAsync())!;
        Assert.DoesNotContain("code_renamed", problem.ToJsonString());
    }

    private static Task AlterAsync(TestApi api, string sql) => TestDatabase.ExecuteAsync(api.ConnectionString, sql);
}
