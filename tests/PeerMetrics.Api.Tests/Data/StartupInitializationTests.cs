using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PeerMetrics.Api.Seeding;

namespace PeerMetrics.Api.Tests.Data;

/// <summary>
/// What the Api does at start-up against a real, empty Postgres database: migrate and seed without a warning,
/// once even when several instances start together, and — in Development only — print the demo token.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed partial class StartupInitializationTests(InfrastructureFixture infrastructure)
{
    private const string MigrationApplied = "Applying migration";
    private const string DemoSeeded = "Seeded demo data";
    private const string DemoFound = "Database already has organizations";

    [Fact]
    public async Task A_fresh_database_is_migrated_and_seeded_without_a_warning_and_outside_development_without_a_token()
    {
        var database = await infrastructure.Postgres.CreateDatabaseAsync();
        await using var api = Api(database);

        using var client = api.CreateClient();

        var records = api.Logs.GetSnapshot();
        Assert.Equal(MigrationCount, records.Count(r => r.Message.StartsWith(MigrationApplied, StringComparison.Ordinal)));
        Assert.Single(records, r => r.Message.StartsWith(DemoSeeded, StringComparison.Ordinal));
        Assert.Empty(records.Where(r => r.Level >= LogLevel.Warning).Select(Describe));
        Assert.DoesNotContain(records, r => r.Message.Contains("@token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_instances_starting_together_on_an_empty_database_migrate_and_seed_it_once()
    {
        var database = await infrastructure.Postgres.CreateDatabaseAsync();
        await using var first = Api(database);
        await using var second = Api(database);

        // Both hosts run their start-up (and so their DatabaseInitializer) at the same time.
        var clients = await Task.WhenAll(Task.Run(first.CreateClient), Task.Run(second.CreateClient));
        foreach (var client in clients)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
            client.Dispose();
        }

        var records = first.Logs.GetSnapshot().Concat(second.Logs.GetSnapshot()).ToList();
        Assert.Equal(MigrationCount, records.Count(r => r.Message.StartsWith(MigrationApplied, StringComparison.Ordinal)));
        Assert.Single(records, r => r.Message.StartsWith(DemoSeeded, StringComparison.Ordinal));
        Assert.Single(records, r => r.Message.StartsWith(DemoFound, StringComparison.Ordinal));
        Assert.Empty(records.Where(r => r.Level >= LogLevel.Warning).Select(Describe));

        await using var connection = await TestDatabase.OpenAsync(database);
        var demo = new DemoDataGenerator(1, DateTime.UnixEpoch);
        Assert.Equal(demo.Organizations.Count, await TestDatabase.ScalarAsync<long>(connection, "SELECT count(*) FROM organization"));
        Assert.Equal(MigrationCount, await TestDatabase.ScalarAsync<long>(connection, "SELECT count(*) FROM \"__EFMigrationsHistory\""));
    }

    [Fact]
    public async Task In_development_the_demo_token_and_app_id_are_logged_once_ready_to_paste_and_they_work()
    {
        var database = await infrastructure.Postgres.CreateDatabaseAsync();
        await using var api = Api(database, ("environment", "Development"));

        using var client = api.CreateClient();

        var access = Assert.Single(api.Logs.GetSnapshot(), r => r.Message.Contains("@token = ", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, access.Level);
        var token = HttpVariable(access.Message, "token");
        var appId = HttpVariable(access.Message, "appId");
        Assert.Equal(new DemoDataGenerator(1, DateTime.UnixEpoch).DominantApp.Id.ToString(), appId);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await client.GetAsync($"/v1/conferences/summary?appId={appId}&created_at_gte={DateTime.UtcNow.AddDays(-30):yyyy-MM-ddTHH:mm:ssZ}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static int MigrationCount => typeof(PeerMetrics.Api.Data.PeerMetricsDbContext).Assembly.GetTypes()
        .Count(type => type.GetCustomAttributes(typeof(Microsoft.EntityFrameworkCore.Migrations.MigrationAttribute), false).Length > 0);

    private ApiFactory Api(string database, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Database:SeedDemoData"] = "true",
            ["Database:DemoDataScale"] = "0.02",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return new ApiFactory(database, infrastructure.Redis.ConnectionString, settings);
    }

    /// <summary>The value of an <c>@name = value</c> line, as an .http file reads it.</summary>
    private static string HttpVariable(string text, string name) =>
        Regex.Match(text, $@"^@{name} = (\S+)$", RegexOptions.Multiline) is { Success: true } match
            ? match.Groups[1].Value
            : throw new Xunit.Sdk.XunitException($"no @{name} line in: {text}");

    private static string Describe(FakeLogRecord record) => $"{record.Level} {record.Category}: {record.Message}";
}
