using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PeerMetrics.Api.Summaries;
using PeerMetrics.Api.Tests.Caching;

namespace PeerMetrics.Api.Tests.Summaries;

/// <summary>
/// One organization's cold computes cannot take the service: they are bounded per organization, wait in a short
/// queue, then get 429; other organizations and cache hits are not held up.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ComputeLimitTests(InfrastructureFixture infrastructure)
{
    private const string Window = "created_at_gte=2026-03-01T00:00:00Z";

    [Fact]
    public async Task Over_its_bound_an_organization_gets_429_while_others_and_cache_hits_are_served()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["SummaryCompute:PerOrganization"] = "1",
            ["SummaryCompute:QueuePerOrganization"] = "0",
            // Raw rows, so a compute reads the locked table whatever the rollups' state.
            ["Rollups:Mode"] = "off",
        });
        var (busy, busyApp) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        var (other, otherApp) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var busyClient = api.Factory.CreateClientFor(busy.Id);
        using var otherClient = api.Factory.CreateClientFor(other.Id);
        var warm = $"/v1/issues/summary?appId={busyApp.Id}&{Window}";
        Assert.Equal("MISS", await Responses.CacheHeaderOf(busyClient, warm));

        // The busy organization's one compute slot is held by a sessions summary that waits on a table lock.
        await using var locker = await LockAsync(api.ConnectionString, "app_session");
        var held = busyClient.GetAsync($"/v1/sessions/summary?appId={busyApp.Id}&{Window}");
        await Responses.EventuallyAsync(async () => await WaitingOnLockAsync(api.ConnectionString));

        using var refused = await busyClient.GetAsync($"/v1/conferences/summary?appId={busyApp.Id}&{Window}");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        Assert.Equal("too_many_requests", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error_code"]!.GetValue<string>());
        Assert.Equal("HIT", await Responses.CacheHeaderOf(busyClient, warm));
        Assert.Equal("MISS", await Responses.CacheHeaderOf(otherClient, $"/v1/conferences/summary?appId={otherApp.Id}&{Window}"));

        await locker.DisposeAsync();
        using var completed = await held;
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        // The refused request was not cached: it computes now.
        Assert.Equal("MISS", await Responses.CacheHeaderOf(busyClient, $"/v1/conferences/summary?appId={busyApp.Id}&{Window}"));
    }

    [Fact]
    public async Task A_queued_request_is_served_when_a_slot_frees_and_refused_after_the_queue_timeout()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["SummaryCompute:PerOrganization"] = "1",
            ["SummaryCompute:QueuePerOrganization"] = "1",
            // Not the 1 s a full queue answers: Retry-After tells the two refusals apart.
            ["SummaryCompute:QueueTimeout"] = "00:00:02",
            ["Rollups:Mode"] = "off",
        });
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        using var client = api.Factory.CreateClientFor(organization.Id);
        var limiter = api.Factory.Services.GetRequiredService<ComputeLimiter>();

        // The organization's one compute slot, held here.
        var slot = await limiter.AcquireAsync(organization.Id, CancellationToken.None);
        using var timedOut = await client.GetAsync($"/v1/conferences/summary?appId={app.Id}&{Window}");
        Assert.Equal(HttpStatusCode.TooManyRequests, timedOut.StatusCode);
        Assert.Equal("2", timedOut.Headers.GetValues("Retry-After").Single());

        var queued = client.GetAsync($"/v1/issues/summary?appId={app.Id}&{Window}");
        await Responses.EventuallyAsync(() => Task.FromResult(limiter.Queued(organization.Id) == 1));
        Assert.False(queued.IsCompleted);
        slot.Dispose();
        using var served = await queued;
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(1, api.Lookups("issues.summary", "miss"));
    }

    /// <summary>Holds an exclusive lock on <paramref name="table"/> until disposed, so summaries reading it wait.</summary>
    private static async Task<NpgsqlTransactionScope> LockAsync(string connectionString, string table)
    {
        var connection = await TestDatabase.OpenAsync(connectionString);
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", connection, transaction);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlTransactionScope(connection, transaction);
    }

    private static async Task<bool> WaitingOnLockAsync(string connectionString)
    {
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        return await TestDatabase.ScalarAsync<long>(connection,
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") > 0;
    }

    private sealed class NpgsqlTransactionScope(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        private bool _disposed;

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        }
    }
}
