using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Npgsql;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Problems;

namespace PeerMetrics.Api.Tests.Summaries;

/// <summary>Bounded work: a statement past <c>Database:StatementTimeout</c> is a 503, never a 500 or a counted bug.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class StatementTimeoutTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task A_blocked_summary_or_list_query_times_out_as_503_and_is_not_a_bug()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, new Dictionary<string, string?>
        {
            ["Database:StatementTimeout"] = "00:00:01",
            ["Rollups:Mode"] = "off",
            ["Rollups:Maintain"] = "false",
        });
        await s.SaveAsync();
        using var failures = new MetricCollector<long>(s.Api.Factory.Services.GetRequiredService<IMeterFactory>(),
            ErrorHandler.MeterName, "peermetrics.api.failures");

        // Another session holds the tables the queries read: without a timeout they would wait forever.
        await using var blocker = await TestDatabase.OpenAsync(s.Api.ConnectionString);
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockTables = new NpgsqlCommand("LOCK TABLE conference, app_session IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await lockTables.ExecuteNonQueryAsync();
        }

        foreach (var url in new[]
                 {
                     $"/v1/sessions/summary?appId={s.App.Id}",
                     $"/v1/conferences/summary?appId={s.App.Id}",
                     $"/v1/conferences?appId={s.App.Id}&limit=10",
                     $"/v1/conferences?appId={s.App.Id}",
                 })
        {
            var started = DateTime.UtcNow;
            using var response = await s.Client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{url}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("service_unavailable", JsonNode.Parse(body)!["error_code"]!.GetValue<string>());
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        }

        Assert.Empty(failures.GetMeasurementSnapshot());
        Assert.DoesNotContain(s.Api.Factory.Logs.GetSnapshot(), log => log.Level >= LogLevel.Error);
        Assert.Contains(s.Api.Factory.Logs.GetSnapshot(), log => log.Message.StartsWith("Statement timed out", StringComparison.Ordinal));

        // The server cancelled the statements: nothing of ours still waits on the lock.
        var waiting = await TestDatabase.ScalarAsync<long>(blocker,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        Assert.Equal(0, waiting);

        await transaction.RollbackAsync();
        await s.GetSummaryAsync("/v1/sessions/summary");
    }

    [Fact]
    public async Task The_pool_size_is_applied_to_the_connection_string()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis,
            new Dictionary<string, string?> { ["Database:MaxPoolSize"] = "7" });

        await using var scope = api.Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>();

        Assert.Equal(7, new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()).MaxPoolSize);
    }

    [Fact]
    public async Task The_default_pool_size_is_20()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis);

        await using var scope = api.Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>();

        Assert.Equal(20, new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()).MaxPoolSize);
    }
}
