using System.Net;
using CliWrap;
using Microsoft.Extensions.Logging;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Summaries.Definitions;
using PeerMetrics.Api.Tests.Caching;

namespace PeerMetrics.Api.Tests.Data;

/// <summary>
/// With <c>Database:ApplyMigrations=false</c> the Api takes the schema it finds: it must start on any schema it can
/// serve (Django's, a legacy one lacking only columns it never reads) and refuse, at start and in one message,
/// any schema it cannot.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SchemaCheckTests(InfrastructureFixture infrastructure)
{
    private static readonly Dictionary<string, string?> WithoutMigrations = new() { ["Database:ApplyMigrations"] = "false" };

    [Fact]
    public async Task A_django_shaped_database_starts_without_migrations()
    {
        var database = await DjangoShapedAsync();

        await using var api = new ApiFactory(database, infrastructure.Redis.ConnectionString, WithoutMigrations);
        using var client = api.CreateClient();
        var (code, status, _) = await Responses.HealthAsync(client);

        Assert.Equal((HttpStatusCode.OK, "Healthy"), (code, status));
        Assert.DoesNotContain(api.Logs.GetSnapshot(), log => log.Level >= LogLevel.Warning);
        // Nothing was migrated: the check read the schema, it did not create it.
        Assert.Equal(0L, await ScalarAsync<long>(database, "SELECT count(*) FROM pg_tables WHERE tablename = '__EFMigrationsHistory'"));
    }

    [Fact]
    public async Task A_legacy_database_lacking_only_columns_the_api_never_reads_starts_and_serves()
    {
        // docs/schema.md, Older databases: before 2024-01-18 sessions had billed_time/billing_start instead of
        // call_start and users had billing; users.organization_id came in 2025-11-18.
        var database = await DjangoShapedAsync("""
            ALTER TABLE app_session DROP COLUMN call_start, ADD COLUMN billed_time integer, ADD COLUMN billing_start timestamp with time zone;
            ALTER TABLE users DROP COLUMN organization_id, ADD COLUMN billing jsonb;
            """);
        var data = new TestData(database);
        var app = data.App(data.Organization());
        await data.SaveAsync();

        await using var api = new ApiFactory(database, infrastructure.Redis.ConnectionString, WithoutMigrations);
        using var client = api.CreateClientFor(app.OrganizationId);

        await JsonAssert.OkBodyAsync(client, $"/v1/sessions/summary?appId={app.Id}",
            """{"browsers":[],"os":[],"countries":[],"cities":[]}""");
    }

    [Fact]
    public async Task Missing_and_mistyped_columns_stop_the_start_with_one_message_listing_them_all()
    {
        var database = await DjangoShapedAsync("""
            ALTER TABLE app_session DROP COLUMN geo_ip;
            ALTER TABLE conference ALTER COLUMN duration TYPE bigint;
            ALTER TABLE app_issue ALTER COLUMN data TYPE json;
            ALTER TABLE app_connection RENAME COLUMN type TO kind;
            DROP TABLE participant_conferences;
            """);
        const string expected =
            "The database lacks what the Api reads (5 problems): conference.duration is bigint (expected integer); " +
            "table participant_conferences is missing; app_session.geo_ip is missing (expected jsonb); " +
            "app_connection.type is missing (expected character varying); app_issue.data is json (expected jsonb). " +
            "The Api does not start on this schema (see README, Old databases).";

        await using var api = new ApiFactory(database, infrastructure.Redis.ConnectionString, WithoutMigrations);
        // In-process the factory only sees the host go away; the exit code is the process test's below.
        Assert.ThrowsAny<Exception>(api.StartServer);

        // One log entry, the host's, carrying the whole list and no stack trace.
        var logged = Assert.Single(api.Logs.GetSnapshot(), log => log.Level >= LogLevel.Warning);
        Assert.Equal(("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Error), (logged.Category, logged.Level));
        Assert.Equal($"{typeof(DatabaseSchemaException).FullName}: {expected}", logged.Exception?.ToString());
    }

    [Fact]
    public async Task Every_route_runs_on_a_database_holding_nothing_but_the_required_columns()
    {
        // Tables of exactly the listed columns: a statement reading anything else fails here, even on empty tables.
        var database = await infrastructure.Postgres.CreateDatabaseAsync();
        var tables = RequiredSchema.Columns.GroupBy(column => column.Table).Select(table =>
            $"CREATE TABLE {table.Key} ({string.Join(", ", table.Select(column => $"\"{column.Column}\" {column.Type}"))});");
        var organizationId = Guid.NewGuid();
        var appId = Guid.NewGuid();
        await ExecuteAsync(database, string.Join('\n', tables) +
            $"INSERT INTO app (id, organization_id, is_active) VALUES ('{appId}', '{organizationId}', true);");

        await using var api = new ApiFactory(database, infrastructure.Redis.ConnectionString, WithoutMigrations);
        using var dashboard = api.CreateClientFor(organizationId);
        using var prewarmer = api.CreateRefreshClient();

        foreach (var route in SummaryCatalog.All.Select(summary => summary.Route))
        {
            using var response = await dashboard.GetAsync($"{route}?appId={appId}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{route}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        await JsonAssert.OkBodyAsync(dashboard, $"/v1/conferences?appId={appId}&issue_code=ice_failed&participantId={Guid.NewGuid()}&limit=5",
            """{"results":[],"count":0}""");
        await JsonAssert.OkBodyAsync(prewarmer, "/internal/active-apps?since=2026-01-01T00:00:00Z", ExpectedBodies.ActiveApps([]));
    }

    [Fact]
    public async Task A_refused_start_exits_1_after_one_log_entry_without_a_stack_trace_and_never_listens()
    {
        var database = await DjangoShapedAsync("ALTER TABLE app_session DROP COLUMN geo_ip;");
        var port = LocalProcess.FreePort();

        var (exitCode, output) = await RunApiAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__peermetrics"] = database,
            ["ConnectionStrings__cache"] = infrastructure.Redis.ConnectionString,
            ["Auth__SigningKey"] = ApiFactory.SigningKey,
            ["Database__ApplyMigrations"] = "false",
        });

        Assert.True(exitCode == 1, $"exit code {exitCode}:\n{output}");
        var entries = output.Split('\n').Where(line => line.StartsWith("warn: ", StringComparison.Ordinal)
            || line.StartsWith("fail: ", StringComparison.Ordinal) || line.StartsWith("crit: ", StringComparison.Ordinal));
        Assert.Equal(["fail: Microsoft.Extensions.Hosting.Internal.Host[11]"], entries);
        Assert.Contains(
            "PeerMetrics.Api.Data.DatabaseSchemaException: The database lacks what the Api reads (1 problem): " +
            "app_session.geo_ip is missing (expected jsonb). The Api does not start on this schema (see README, Old databases).\n",
            output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// This service's migrations without their history table and without the rollups they install: the schema
    /// exactly as Django's migrations leave it (SchemaTests), then <paramref name="alterations"/>.
    /// </summary>
    private async Task<string> DjangoShapedAsync(string alterations = "")
    {
        var database = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using (var connection = await TestDatabase.OpenAsync(database))
        {
            await RollupsDatabase.UninstallAsync(connection, CancellationToken.None);
        }
        await ExecuteAsync(database, $"""DROP TABLE "__EFMigrationsHistory"; {alterations}""");
        return database;
    }

    private static Task ExecuteAsync(string database, string sql) => TestDatabase.ExecuteAsync(database, sql);

    private static async Task<T> ScalarAsync<T>(string database, string sql)
    {
        await using var connection = await TestDatabase.OpenAsync(database);
        return await TestDatabase.ScalarAsync<T>(connection, sql);
    }

    /// <summary>The built Api as an operator runs it (<c>dotnet PeerMetrics.Api.dll</c>), with its project as content root.</summary>
    private static async Task<(int ExitCode, string Output)> RunApiAsync(IReadOnlyDictionary<string, string?> environment)
    {
        var result = await LocalProcess.RunAsync(Cli.Wrap("dotnet")
            .WithArguments([Path.Combine(AppContext.BaseDirectory, "PeerMetrics.Api.dll")])
            .WithWorkingDirectory(RepositoryPaths.Of("PeerMetrics.Api"))
            .WithEnvironmentVariables(variables => variables.Set(environment))
            .WithValidation(CommandResultValidation.None), TimeSpan.FromSeconds(60));
        return (result.ExitCode, (result.StandardOutput + result.StandardError).ReplaceLineEndings("\n"));
    }
}
