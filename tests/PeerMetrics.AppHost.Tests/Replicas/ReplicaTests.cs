using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Npgsql;
using PeerMetrics.AppHost.Tests.Infrastructure;
using PeerMetrics.AppHost.Tests.Prewarming;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Replicas;

/// <summary>
/// Two Api replicas started together on an empty database: the database is migrated and seeded once, and a
/// summary refreshed through one replica is what the other serves, because the FusionCache backplane tells it.
/// Each replica is addressed on its own port, not through the endpoint's load-balancing proxy.
/// </summary>
[Collection(ReplicasCollection.Name)]
public sealed partial class ReplicaTests(ReplicasFixture app, ITestOutputHelper output) : IDisposable
{
    // Well inside the entry's lifetime in B's memory (SummaryCache:Ttl, 60 s by default): new bytes before then can
    // only come from the backplane's message, however loaded the machine.
    private static readonly TimeSpan PropagationBound = TimeSpan.FromSeconds(20);

    // Conferences this class adds, told apart from the demo data.
    private const string TestConferencePrefix = "replica-test-";

    private readonly IDisposable _logs = app.Logs.Attach(output);

    [Fact]
    public async Task Both_replicas_run_and_the_database_was_migrated_and_seeded_once()
    {
        await ResourceLogs.WaitForApiListeningAsync(app.App);
        var logs = await ResourceLogs.ReadAsync(app.App, AppHostFixture.Api);
        var byReplica = logs.GroupBy(line => line.Instance).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(ReplicasFixture.Replicas, (await ResourceLogs.InstancesAsync(app.App, AppHostFixture.Api)).Count);
        Assert.Equal(ReplicasFixture.Replicas, byReplica.Count);

        await using var connection = new NpgsqlConnection(await app.App.GetConnectionStringAsync(AppHostFixture.Database));
        await connection.OpenAsync();
        var migrations = await ScalarAsync<long>(connection, "SELECT count(*) FROM \"__EFMigrationsHistory\"");
        var conferences = await ScalarAsync<long>(connection, $"SELECT count(*) FROM conference WHERE conference_id NOT LIKE '{TestConferencePrefix}%'");

        // One replica applied every migration and seeded; the other found both done.
        var migrator = Assert.Single(byReplica, r => r.Value.Any(l => l.Text.StartsWith("Applying migration", StringComparison.Ordinal)));
        var other = Assert.Single(byReplica, r => r.Key != migrator.Key);
        Assert.Equal(migrations, migrator.Value.Count(l => l.Text.StartsWith("Applying migration", StringComparison.Ordinal)));
        Assert.Contains(other.Value, l => l.Text.StartsWith("No migrations were applied", StringComparison.Ordinal));

        var seeded = Assert.Single(logs, l => l.Text.StartsWith("Seeded demo data", StringComparison.Ordinal));
        Assert.Equal(migrator.Key, seeded.Instance);
        Assert.Contains(other.Value, l => l.Text.StartsWith("Database already has organizations", StringComparison.Ordinal));
        Assert.Equal(conferences, long.Parse(SeededConferences().Match(seeded.Text).Groups[1].Value));
        output.WriteLine($"{migrator.Key} migrated ({migrations} migrations) and seeded {conferences} conferences; {other.Key} waited");
    }

    [Fact]
    public async Task A_summary_refreshed_through_one_replica_is_served_with_the_new_bytes_by_the_other_from_the_cache()
    {
        var replicas = await ReplicaAddressesAsync();
        var access = DemoAccess.FindAll(await ResourceLogs.ReadAsync(app.App, AppHostFixture.Api))[0];
        using var dashboardA = Client(replicas[0], access.Token);
        using var dashboardB = Client(replicas[1], access.Token);
        using var refreshA = Client(replicas[0], DemoTenants.Tokens(app).CreateRefreshToken(TimeSpan.FromHours(1)));
        // A window of its own: the Prewarmer refreshes only the dashboard's default one.
        var url = $"/v1/conferences/summary?appId={access.AppId}&created_at_gte={DateTime.UtcNow.AddDays(-3):yyyy-MM-ddTHH:mm}:00Z";

        // B's entry is in its memory from here on.
        var sinceBCached = Stopwatch.StartNew();
        var (original, _) = await BodyAsync(dashboardB, url);
        Assert.Equal(original, (await BodyAsync(dashboardA, url)).Body);

        await AddConferenceAsync(access.AppId);
        // B holds the entry in memory: nothing but a message from A makes it look again.
        Assert.Equal((original, "HIT"), await BodyAsync(dashboardB, url));

        using var refresh = new HttpRequestMessage(HttpMethod.Get, url);
        refresh.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        using var refreshed = await refreshA.SendAsync(refresh);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var updated = await refreshed.Content.ReadAsStringAsync();
        Assert.NotEqual(original, updated);

        (string Body, string Cache) served;
        do
        {
            served = await BodyAsync(dashboardB, url);
        }
        while (served.Body != updated && sinceBCached.Elapsed < PropagationBound);
        output.WriteLine($"replica B served the refreshed bytes ({served.Cache}) {sinceBCached.Elapsed.TotalMilliseconds:F0} ms after caching the old ones");
        // A's bytes, read from the shared cache (a HIT, no compute of B's own) while B's memory entry was still
        // fresh: the backplane told B its entry was outdated.
        Assert.Equal((updated, "HIT"), served);
        Assert.True(sinceBCached.Elapsed < PropagationBound, $"took {sinceBCached.Elapsed.TotalMilliseconds:F0} ms");
    }

    /// <summary>Each replica's own address, from the "Now listening on" line it logged.</summary>
    private async Task<IReadOnlyList<Uri>> ReplicaAddressesAsync()
    {
        var listening = await ResourceLogs.WaitForApiListeningAsync(app.App);
        var addresses = listening.Values.Select(match => new Uri(match.Groups[1].Value)).ToList();
        Assert.Equal(ReplicasFixture.Replicas, addresses.Distinct().Count());
        output.WriteLine($"replicas: {string.Join(", ", addresses)}");
        return addresses;
    }

    private async Task AddConferenceAsync(Guid appId)
    {
        await using var connection = new NpgsqlConnection(await app.App.GetConnectionStringAsync(AppHostFixture.Database));
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO conference (id, conference_id, ongoing, duration, created_at, is_active, app_id)
            VALUES (gen_random_uuid(), @conference, false, 120, now() - interval '1 hour', true, @app)
            """, connection);
        insert.Parameters.AddWithValue("conference", $"{TestConferencePrefix}{Guid.NewGuid():N}");
        insert.Parameters.AddWithValue("app", appId);
        Assert.Equal(1, await insert.ExecuteNonQueryAsync());
    }

    private static HttpClient Client(Uri address, string token)
    {
        var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The 200 body and its X-Cache header.</summary>
    private static async Task<(string Body, string Cache)> BodyAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{client.BaseAddress}{url}: {(int)response.StatusCode}");
        return (await response.Content.ReadAsStringAsync(), response.Headers.GetValues("X-Cache").Single());
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose() => _logs.Dispose();

    [GeneratedRegex(@"conference=(\d+)")]
    private static partial Regex SeededConferences();
}
