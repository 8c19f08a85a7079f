using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;
using PeerMetrics.Api.Summaries.Definitions;
using PeerMetrics.Api.Tests.Caching;
using Xunit.Abstractions;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>
/// The rollups beside a Django application that owns the tables. Django's schema migrations on watched
/// columns run with the rollups installed; a trigger that cannot log lets the write through; the change log stays
/// under its cap with no Api running; and /health says when nothing applies the log.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class RollupsBesideDjangoTests(InfrastructureFixture infrastructure, ITestOutputHelper output) : IDisposable
{
    public void Dispose() => NpgsqlConnection.ClearAllPools();

    private const string WatchedTriggers = """
        SELECT count(*) FROM peermetrics_rollups.watched w
        WHERE EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = format('public.%I', w.tbl)::regclass AND t.tgname = w.name)
        """;

    /// <summary>A Django migration on a watched column, as Django emits it, and the migration that undoes it.</summary>
    public sealed record Migration(string Name, string Table, string Column, bool Servable, Func<string, string> Forward, Func<string, string> Backward);

    // {0}: the column's type as it was (format_type with modifier), for the reverse migration.
    private static readonly Migration[] Migrations =
    [
        // AlterField(IntegerField -> BigIntegerField): another type than the Api reads.
        new("AlterField conference.duration", "conference", "duration", false,
            _ => """ALTER TABLE "conference" ALTER COLUMN "duration" TYPE bigint USING "duration"::bigint""",
            type => $"""ALTER TABLE "conference" ALTER COLUMN "duration" TYPE {type} USING "duration"::{type}"""),
        // AlterField(max_length): still the type the Api reads.
        new("AlterField app_issue.code", "app_issue", "code", true,
            _ => """ALTER TABLE "app_issue" ALTER COLUMN "code" TYPE varchar(200)""",
            type => $"""ALTER TABLE "app_issue" ALTER COLUMN "code" TYPE {type}"""),
        // RemoveField: Django adds CASCADE; AddField brings the column back.
        new("RemoveField app_session.geo_ip", "app_session", "geo_ip", false,
            _ => """ALTER TABLE "app_session" DROP COLUMN "geo_ip" CASCADE""",
            type => $"""ALTER TABLE "app_session" ADD COLUMN "geo_ip" {type} NULL"""),
        // RemoveField without CASCADE (the DDL by hand, or another framework).
        new("DROP COLUMN app_connection.connection_info", "app_connection", "connection_info", false,
            _ => """ALTER TABLE "app_connection" DROP COLUMN "connection_info" """,
            type => $"""ALTER TABLE "app_connection" ADD COLUMN "connection_info" {type} NULL"""),
        // RenameField, there and back.
        new("RenameField participant.is_sfu", "participant", "is_sfu", false,
            _ => """ALTER TABLE "participant" RENAME COLUMN "is_sfu" TO "is_media_server" """,
            _ => """ALTER TABLE "participant" RENAME COLUMN "is_media_server" TO "is_sfu" """),
        new("RenameField participant_conferences.participant_id", "participant_conferences", "participant_id", false,
            _ => """ALTER TABLE "participant_conferences" RENAME COLUMN "participant_id" TO "member_id" """,
            _ => """ALTER TABLE "participant_conferences" RENAME COLUMN "member_id" TO "participant_id" """),
    ];

    [Fact]
    public async Task Django_migrations_on_watched_columns_run_while_writers_write_and_the_api_serves_and_the_rollups_fall_back_then_rebuild_exactly()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var generator = await RollupsTestDatabase.SeedAndDrainAsync(connection, 0.03);
        var apps = generator.Apps.Take(3).Select(a => a.Id).ToArray();
        var snapshot = await RollupsWorkload.Snapshot.ReadAsync(connection, apps);
        var triggers = await TestDatabase.ScalarAsync<long>(connection, WatchedTriggers);

        // An Api maintains the rollups and serves the dashboard throughout, as in production.
        await using var api = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Rollups:Mode"] = "on", ["Rollups:PollInterval"] = "00:00:00.050", ["Rollups:ResetDelay"] = "00:00:00.500",
        });
        using var client = api.CreateClientFor(generator.Apps[0].OrganizationId);

        foreach (var (index, migration) in Migrations.Index())
        {
            using var stop = new CancellationTokenSource();
            var writes = WriteUntilAsync(connectionString, snapshot, migration.Name.Length, stop.Token);
            // Windows ending a day apart per migration: no answer comes from an earlier migration's cache entry.
            var reads = ServeUntilAsync(client, apps[0], snapshot.Until.AddDays(-index), stop.Token);
            await Task.Delay(100);
            var type = await TestDatabase.ScalarAsync<string>(connection,
                $"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{migration.Table}'::regclass AND attname = '{migration.Column}'");

            // Django runs each migration in a transaction, with its own lock waits: no lock timeout here.
            await TestDatabase.ExecuteAsync(connectionString, migration.Forward(type));
            Assert.Equal(triggers, await TestDatabase.ScalarAsync<long>(connection, WatchedTriggers));
            await RollupsDatabase.ApplyAsync(connection, 100_000, 100, TimeSpan.Zero, CancellationToken.None);
            var during = (await RollupsDatabase.StatusAsync(connection, CancellationToken.None))!;
            output.WriteLine($"{migration.Name}: ready={during.Ready} problem={during.Problem}");
            if (migration.Servable)
            {
                Assert.Null(during.Problem);
            }
            else
            {
                Assert.False(during.Ready, $"{migration.Name}: the rollups must not serve over a drifted schema");
                Assert.Contains($"{migration.Table}.{migration.Column}", during.Problem);
            }
            await Task.Delay(100);

            await TestDatabase.ExecuteAsync(connectionString, migration.Backward(type));
            await stop.CancelAsync();
            var (written, failed) = await writes;
            output.WriteLine($"{migration.Name}: {written} writes, {failed} refused by the schema or their own conflicts");
            Assert.True(written > 0);
            var answers = await reads;
            output.WriteLine($"{migration.Name}: {string.Join(", ", answers.GroupBy(a => a).Select(g => $"{g.Key.Summary} {g.Key.Status}: {g.Count()}"))}");
            Assert.Contains(answers, a => a.Status == HttpStatusCode.OK);
            // Only a statement that names a column the migration removed or renamed can fail, as it would without the rollups.
            Assert.All(answers.Where(a => a.Status != HttpStatusCode.OK), a =>
            {
                Assert.False(migration.Servable, $"{migration.Name}: {a.Summary} answered {a.Status}");
                Assert.Contains(migration.Column, SummaryCatalog.All.Single(s => s.Label == a.Summary).Sql.Raw);
            });
            Assert.Equal(triggers, await TestDatabase.ScalarAsync<long>(connection, WatchedTriggers));

            await RollupsTestDatabase.DrainAsync(connection);
            await RollupsTestDatabase.AssertExactOverRandomWindowsAsync(connection, apps, migration.Name.Length, $"after {migration.Name}");
        }
    }

    [Fact]
    public async Task A_table_rewrite_that_commits_while_the_maintainer_waits_for_it_is_seen_whole_by_the_maintainer()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var generator = await RollupsTestDatabase.SeedAndDrainAsync(connection, 0.01);
        var apps = generator.Apps.Select(a => a.Id).ToArray();

        // A change waits in the log: a new error issue, which changes its conference's status.
        Assert.Equal(1, await TestDatabase.ExecuteAsync(connectionString, """
            INSERT INTO app_issue (id, type, code, data, created_at, is_active, conference_id, connection_id, participant_id, session_id, track_id)
            SELECT gen_random_uuid(), 'e', 'ice_failure', '{}', c.created_at, true, c.id, NULL, NULL, s.id, NULL
            FROM conference c JOIN app_session s ON s.conference_id = c.id
            WHERE c.is_active AND NOT EXISTS (SELECT 1 FROM app_issue i WHERE i.conference_id = c.id AND i.type = 'e') LIMIT 1
            """));

        // Opened first, disposed last: a failing test rolls the migration back before it closes the waiting maintainer.
        await using var maintainer = await TestDatabase.OpenAsync(connectionString);

        // A migration rewrites app_issue (a USING clause rewrites even to the same type) and has not committed yet.
        await using var migration = await TestDatabase.OpenAsync(connectionString);
        await using var transaction = await migration.BeginTransactionAsync();
        await using (var alter = new NpgsqlCommand("""ALTER TABLE "app_issue" ALTER COLUMN "code" TYPE varchar(32) USING "code" || ''""", migration, transaction))
        {
            await alter.ExecuteNonQueryAsync();
        }

        var run = RollupsDatabase.ApplyAsync(maintainer, 100_000, 100, TimeSpan.Zero, CancellationToken.None);
        await Responses.EventuallyAsync(async () => await TestDatabase.ScalarAsync<bool>(connection,
            $"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = {maintainer.ProcessID} AND wait_event_type = 'Lock')"));
        await transaction.CommitAsync();

        var applied = await run;
        Assert.True(applied.Locked);
        Assert.True(applied.Consumed > 0);
        await RollupsTestDatabase.AssertExactAsync(connection, apps, [(null, null)], "after a rewrite the maintainer waited for");
    }

    [Fact]
    public async Task A_trigger_that_cannot_log_lets_the_write_through_and_the_api_serves_raw_rows_exactly_until_it_has_rebuilt()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["Rollups:Mode"] = "on", ["Rollups:PollInterval"] = "00:00:00.050", ["Rollups:ResetDelay"] = "00:00:10",
        });
        var monitor = api.Factory.Services.GetRequiredService<RollupsMonitor>();
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 2);
        await Responses.EventuallyAsync(() => Task.FromResult(monitor.CanServe() && monitor.Status is { Backlog: 0 }));

        // Logging fails from now on: any error inside the trigger.
        await TestDatabase.ExecuteAsync(api.ConnectionString,
            "ALTER TABLE peermetrics_rollups.change_log ADD CONSTRAINT unwritable CHECK (false) NOT VALID");
        Assert.Equal(1, await TestDatabase.ExecuteAsync(api.ConnectionString, $"""
            INSERT INTO app_issue (id, type, code, data, created_at, is_active, conference_id, connection_id, participant_id, session_id, track_id)
            SELECT gen_random_uuid(), i.type, i.code, i.data, i.created_at, true, i.conference_id, NULL, i.participant_id, i.session_id, NULL
            FROM app_issue i JOIN conference c ON c.id = i.conference_id WHERE c.app_id = '{app.Id}' LIMIT 1
            """));
        await using var connection = await TestDatabase.OpenAsync(api.ConnectionString);
        var marked = (await RollupsDatabase.StatusAsync(connection, CancellationToken.None))!;
        Assert.False(marked.Ready);
        Assert.StartsWith("a change was not logged", marked.RebuildReason);

        // Raw rows serve, exactly: the new issue is counted.
        using var client = api.Factory.CreateClientFor(organization.Id);
        await JsonAssert.OkBodyAsync(client, $"/v1/issues/summary?appId={app.Id}&created_at_gte=2026-03-01T00:00:00Z",
            """{"data":[{"code":"getusermedia_error","title":"Problem accessing media","count":3}]}""");
        await Responses.EventuallyAsync(() => Task.FromResult(monitor.Status?.RebuildReason?.Contains("unwritable") == true));

        // Once logging works again, the maintainer rebuilds and the rollups are exact.
        await TestDatabase.ExecuteAsync(api.ConnectionString, "ALTER TABLE peermetrics_rollups.change_log DROP CONSTRAINT unwritable");
        await Responses.EventuallyAsync(() => Task.FromResult(monitor.CanServe() && monitor.Status is { Backlog: 0, RebuildReason: null }),
            TimeSpan.FromSeconds(60));
        await RollupsTestDatabase.AssertExactAsync(connection, [app.Id], [(null, null)], "rebuilt after a trigger could not log");
    }

    [Fact]
    public async Task The_log_cap_holds_with_no_api_running_and_an_api_started_afterwards_rebuilds_and_serves_exactly()
    {
        const int Cap = 300;
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        DemoDataGenerator generator;
        await using (var connection = await TestDatabase.OpenAsync(connectionString))
        {
            generator = await RollupsTestDatabase.SeedAndDrainAsync(connection, 0.02);
            // What an Api with Rollups:MaxLogRows=300 stores; then every Api stops.
            await TestDatabase.ExecuteAsync(connectionString, $"UPDATE peermetrics_rollups.state SET log_cap = {Cap}");

            // Thousands of Django writes, one statement each, and one bulk statement.
            for (var i = 0; i < 20; i++)
            {
                await TestDatabase.ExecuteAsync(connectionString, """
                    UPDATE conference SET duration = duration + 1
                    WHERE id IN (SELECT id FROM conference ORDER BY random() LIMIT 50)
                    """);
            }
            await TestDatabase.ExecuteAsync(connectionString, "UPDATE app_session SET is_active = NOT is_active");
            var writes = await TestDatabase.ScalarAsync<long>(connection, "SELECT count(*) FROM app_session") + 1000;
            var rows = await TestDatabase.ScalarAsync<long>(connection, "SELECT count(*) FROM peermetrics_rollups.change_log");
            output.WriteLine($"{writes} row writes, {rows} log rows");
            // Each write checks the fill before it logs its one to four rows.
            Assert.InRange(rows, Cap, Cap + 8);
            var status = (await RollupsDatabase.StatusAsync(connection, CancellationToken.None))!;
            Assert.False(status.Ready);
            Assert.Contains("cap of 300 rows", await TestDatabase.ScalarAsync<string>(connection, "SELECT reason FROM peermetrics_rollups.faults"));
        }

        await using var factory = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Rollups:Mode"] = "on", ["Rollups:PollInterval"] = "00:00:00.050", ["Rollups:ResetDelay"] = "00:00:00.500",
            ["Rollups:MaxLogRows"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        _ = factory.CreateClient();
        var monitor = factory.Services.GetRequiredService<RollupsMonitor>();
        await Responses.EventuallyAsync(() => Task.FromResult(monitor.CanServe() && monitor.Status is { RebuildReason: null }),
            TimeSpan.FromSeconds(60));
        await using var after = await TestDatabase.OpenAsync(connectionString);
        var apps = generator.Apps.Select(a => a.Id).ToArray();
        await RollupsTestDatabase.AssertExactOverRandomWindowsAsync(after, apps, 17, "rebuilt after the log reached its cap");
    }

    [Fact]
    public async Task Health_is_degraded_when_changes_wait_and_nothing_has_applied_the_log_for_longer_than_MaxUnappliedAge()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await CacheTestData.SeedAppAsync(connectionString, conferences: 1);
        // No replica maintains: the log only grows.
        await using var factory = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Rollups:Maintain"] = "false", ["Rollups:PollInterval"] = "00:00:00.050", ["Rollups:MaxUnappliedAge"] = "00:00:01",
        });
        _ = factory.CreateClient();
        var health = factory.Services.GetRequiredService<HealthCheckService>();
        await Responses.EventuallyAsync(async () =>
            (await health.CheckHealthAsync(r => r.Name == "rollups")).Entries["rollups"].Status == HealthStatus.Degraded);

        var entry = (await health.CheckHealthAsync(r => r.Name == "rollups")).Entries["rollups"];
        Assert.Contains("nothing has applied the rollups' change log", entry.Description);
        Assert.True((long)entry.Data["backlog"] > 0);
        Assert.True((long)entry.Data["log_rows"] > 0);
    }

    /// <summary>Every summary in turn, each over a window not asked before, so each request computes.</summary>
    private static async Task<List<(string Summary, HttpStatusCode Status)>> ServeUntilAsync(HttpClient client, Guid app, DateTime until,
        CancellationToken stop)
    {
        var answers = new List<(string, HttpStatusCode)>();
        for (var minutes = 1; !stop.IsCancellationRequested; minutes++)
        {
            var from = until.AddMinutes(-minutes).ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);
            foreach (var summary in SummaryCatalog.All)
            {
                using var response = await client.GetAsync($"{summary.Route}?appId={app}&created_at_gte={from}", CancellationToken.None);
                answers.Add((summary.Label, response.StatusCode));
            }
        }
        return answers;
    }

    private static async Task<(int Written, int Failed)> WriteUntilAsync(string connectionString, RollupsWorkload.Snapshot snapshot, int seed,
        CancellationToken stop)
    {
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var workload = new RollupsWorkload(new Random(seed), snapshot);
        var (written, failed) = (0, 0);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await workload.RunOneAsync(connection);
                written++;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.UniqueViolation
                                                  or PostgresErrorCodes.UndefinedColumn)
            {
                // A statement naming a column the migration removed fails as it would without the rollups.
                failed++;
            }
        }
        return (written, failed);
    }
}
