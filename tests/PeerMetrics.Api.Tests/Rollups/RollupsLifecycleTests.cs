using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;
using Xunit.Abstractions;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>Install over existing data, TRUNCATE and reload, uninstall, and a maintainer that dies mid-run.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class RollupsLifecycleTests(InfrastructureFixture infrastructure, ITestOutputHelper output) : IDisposable
{
    // Each test opens several connections to its own database; close the idle ones so the shared cluster's
    // connection limit is left to the other test classes.
    public void Dispose() => NpgsqlConnection.ClearAllPools();

    private const string LastMigrationWithoutRollups = "20261127000004_ParticipantCountIndex";

    [Fact]
    public async Task Truncate_and_reload_resets_the_rollups_which_serve_again_exactly_once_backfilled()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var first = new DemoDataGenerator(0.03, RollupsTestDatabase.Anchor);
        await DemoDataSeeder.SeedAsync(connection, first, wipe: false, progress: null, CancellationToken.None);
        await RollupsTestDatabase.DrainAsync(connection);

        // The seed's wipe is a TRUNCATE of every peermetrics table, then a COPY of other data.
        var second = new DemoDataGenerator(0.04, RollupsTestDatabase.Anchor.AddDays(-2));
        await DemoDataSeeder.SeedAsync(connection, second, wipe: true, progress: null, CancellationToken.None);
        var pending = await RollupsDatabase.StatusAsync(connection, CancellationToken.None);
        Assert.False(pending!.Ready, "a pending TRUNCATE must make the rollups not ready");

        var run = await RollupsDatabase.ApplyAsync(connection, 100_000, 50, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal("backfilling", run.Phase);
        Assert.False((await RollupsDatabase.StatusAsync(connection, CancellationToken.None))!.Ready);

        await RollupsTestDatabase.DrainAsync(connection);
        var snapshot = await RollupsWorkload.Snapshot.ReadAsync(connection, [.. second.Apps.Select(a => a.Id)]);
        await RollupsTestDatabase.AssertExactAsync(connection, second.Apps.Select(a => a.Id).Append(first.DominantApp.Id),
            RollupsTestDatabase.RandomWindows(new Random(7), snapshot.From, snapshot.Until), "after TRUNCATE and reload");
    }

    [Fact]
    public async Task Hours_not_yet_closed_are_read_from_finer_levels_and_a_run_closes_them_exactly()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var generator = await RollupsTestDatabase.SeedAndDrainAsync(connection, 0.03);
        var apps = generator.Apps.Select(a => a.Id).ToArray();
        var snapshot = await RollupsWorkload.Snapshot.ReadAsync(connection, apps);
        const string Coarse = "SELECT count(*) FROM peermetrics_rollups.session_list WHERE level > 1";
        var closed = await TestDatabase.ScalarAsync<long>(connection, Coarse);

        // As if the maintainer had stopped at 10:00 the day before the anchor: no hour or day bucket since.
        var open = RollupsTestDatabase.Anchor.AddDays(-1).Date.AddHours(10);
        await TestDatabase.ExecuteAsync(connectionString, $"""
            UPDATE peermetrics_rollups.state SET open_hour = '{open:O}';
            DO $$
            DECLARE t text;
            BEGIN
                FOREACH t IN ARRAY ARRAY['conference_status', 'conference_duration', 'conference_participants', 'issue_code',
                                         'issue_gum', 'connection_type', 'connection_setup', 'session_list'] LOOP
                    EXECUTE format('DELETE FROM peermetrics_rollups.%I WHERE (level = 2 AND bucket >= %L) OR (level = 3 AND bucket >= %L)',
                                   t || '_stored', '{open:O}', '{open.Date:O}');
                END LOOP;
            END
            $$;
            """);
        Assert.True(await TestDatabase.ScalarAsync<long>(connection, Coarse) < closed);
        var windows = RollupsTestDatabase.RandomWindows(new Random(11), snapshot.From, snapshot.Until);
        await RollupsTestDatabase.AssertExactAsync(connection, apps, windows, "with the hours since the day before open");

        // The next run closes every hour since, and the days that ended.
        await RollupsDatabase.ApplyAsync(connection, 100_000, 500, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(closed, await TestDatabase.ScalarAsync<long>(connection, Coarse));
        Assert.True(await TestDatabase.ScalarAsync<bool>(connection,
            "SELECT open_hour = date_trunc('hour', now(), 'UTC') FROM peermetrics_rollups.state"));
        await RollupsTestDatabase.AssertExactAsync(connection, apps, windows, "once the hours are closed");
    }

    [Fact]
    public async Task Install_over_existing_data_backfills_in_batches_while_writers_write_and_resumes_after_an_interruption()
    {
        var connectionString = await infrastructure.Postgres.CreateDatabaseAsync();
        await MigrateWithoutRollupsAsync(connectionString);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var generator = new DemoDataGenerator(0.05, RollupsTestDatabase.Anchor);
        await DemoDataSeeder.SeedAsync(connection, generator, wipe: false, progress: null, CancellationToken.None);
        var apps = generator.Apps.Take(3).Select(a => a.Id).ToArray();
        var snapshot = await RollupsWorkload.Snapshot.ReadAsync(connection, apps);

        using var stop = new CancellationTokenSource();
        var writes = WriteUntilAsync(connectionString, snapshot, 11, stop.Token);

        var messages = new List<string>();
        await RollupsDatabase.InstallAsync(connection, messages.Add, CancellationToken.None);
        var installed = await RollupsDatabase.StatusAsync(connection, CancellationToken.None);
        Assert.Equal("backfilling", installed!.Phase);
        Assert.True(installed.BackfillTotal > 0);

        // A few batches, then an interruption: a re-run of the install keeps the cursor.
        for (var i = 0; i < 3; i++)
        {
            await RollupsDatabase.ApplyAsync(connection, 100_000, 100, TimeSpan.Zero, CancellationToken.None);
        }
        var interrupted = await RollupsDatabase.StatusAsync(connection, CancellationToken.None);
        Assert.Equal(300, interrupted!.BackfillDone);
        Assert.False(interrupted.Ready);
        await RollupsDatabase.InstallAsync(connection, messages.Add, CancellationToken.None);
        Assert.Equal(300, (await RollupsDatabase.StatusAsync(connection, CancellationToken.None))!.BackfillDone);

        var batches = 0;
        while ((await RollupsDatabase.ApplyAsync(connection, 100_000, 100, TimeSpan.Zero, CancellationToken.None)).Phase == "backfilling")
        {
            batches++;
        }
        output.WriteLine($"backfilled in {batches + 3} batches of 100 while writing");
        Assert.True(batches > 3);

        await stop.CancelAsync();
        var rejected = await writes;
        output.WriteLine($"{rejected} writes rolled back by their own conflicts");
        await RollupsTestDatabase.DrainAsync(connection);
        await RollupsTestDatabase.AssertExactOverRandomWindowsAsync(connection, apps, 11, "after install over existing data");
    }

    [Fact]
    public async Task Uninstall_leaves_the_catalog_exactly_as_before_the_install()
    {
        var connectionString = await infrastructure.Postgres.CreateDatabaseAsync();
        await MigrateWithoutRollupsAsync(connectionString);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var generator = new DemoDataGenerator(0.02, RollupsTestDatabase.Anchor);
        await DemoDataSeeder.SeedAsync(connection, generator, wipe: false, progress: null, CancellationToken.None);
        var before = await CatalogAsync(connection);

        await RollupsDatabase.InstallAsync(connection, null, CancellationToken.None);
        await RollupsTestDatabase.DrainAsync(connection);
        Assert.NotEqual(before, await CatalogAsync(connection));
        var snapshot = await RollupsWorkload.Snapshot.ReadAsync(connection, [generator.DominantApp.Id]);
        var workload = new RollupsWorkload(new Random(3), snapshot);
        for (var i = 0; i < 50; i++)
        {
            try
            {
                await workload.RunOneAsync(connection);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.UniqueViolation)
            {
            }
        }

        await RollupsDatabase.UninstallAsync(connection, CancellationToken.None);
        Assert.Equal(before, await CatalogAsync(connection));
        Assert.False(await RollupsDatabase.IsInstalledAsync(connection, CancellationToken.None));

        // Writes keep working without the rollups, and the install can come back.
        await workload.RunOneAsync(connection);
        await RollupsDatabase.InstallAsync(connection, null, CancellationToken.None);
        await RollupsTestDatabase.DrainAsync(connection);
        await RollupsTestDatabase.AssertExactAsync(connection, [generator.DominantApp.Id], [(null, null)], "after reinstall");
    }

    [Fact]
    public async Task A_maintainer_run_aborted_or_killed_midway_loses_nothing_and_two_never_apply_at_once()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var generator = await RollupsTestDatabase.SeedAndDrainAsync(connection, 0.05);
        var apps = generator.Apps.Take(3).Select(a => a.Id).ToArray();
        var snapshot = await RollupsWorkload.Snapshot.ReadAsync(connection, apps);
        var workload = new RollupsWorkload(new Random(5), snapshot);
        for (var i = 0; i < 60; i++)
        {
            try
            {
                await workload.RunOneAsync(connection);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.UniqueViolation)
            {
            }
        }
        var backlog = (await RollupsDatabase.StatusAsync(connection, CancellationToken.None))!.Backlog;
        Assert.True(backlog > 0);

        // Aborted after applying everything (its transaction rolled back): the log is untouched. Meanwhile a
        // second maintainer finds the lock taken and does nothing.
        await using (var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead))
        {
            await using var apply = new NpgsqlCommand("SELECT consumed FROM peermetrics_rollups.apply()", connection, transaction);
            Assert.Equal(backlog, (long)(await apply.ExecuteScalarAsync())!);
            await using var other = await TestDatabase.OpenAsync(connectionString);
            var second = await RollupsDatabase.ApplyAsync(other, 100_000, 100, TimeSpan.Zero, CancellationToken.None);
            Assert.False(second.Locked);
            Assert.Equal(0, second.Consumed);
            await transaction.RollbackAsync();
        }
        Assert.Equal(backlog, (await RollupsDatabase.StatusAsync(connection, CancellationToken.None))!.Backlog);

        // Killed mid-run: the run that backfills after the requested rebuild has taken the maintainer lock and
        // updated the state when it first writes a rollup; a SHARE lock on the rollups, held here, stops it there.
        await using (var mark = new NpgsqlCommand("INSERT INTO peermetrics_rollups.change_log (family) VALUES ('everything')", connection))
        {
            await mark.ExecuteNonQueryAsync();
        }
        await RollupsDatabase.ApplyAsync(connection, 100_000, 1, TimeSpan.Zero, CancellationToken.None);
        await using (var blocker = await TestDatabase.OpenAsync(connectionString))
        await using (var victim = await TestDatabase.OpenAsync(connectionString))
        {
            await using var hold = await blocker.BeginTransactionAsync();
            await using (var share = new NpgsqlCommand(
                "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables " +
                "WHERE schemaname = 'peermetrics_rollups' AND tablename NOT IN ('state', 'change_log')",
                blocker, hold))
            await using (var lockTables = new NpgsqlCommand($"LOCK TABLE {await share.ExecuteScalarAsync()} IN SHARE MODE", blocker, hold))
            {
                await lockTables.ExecuteNonQueryAsync();
            }
            var pid = victim.ProcessID;
            var run = RollupsDatabase.ApplyAsync(victim, 100_000, 1_000_000, TimeSpan.Zero, CancellationToken.None);
            await Responses.EventuallyAsync(async () => await TestDatabase.ScalarAsync<bool>(connection,
                $"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = {pid} AND wait_event_type = 'Lock')"));
            Assert.True(await TestDatabase.ScalarAsync<bool>(connection,
                    $"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = {pid} AND locktype = 'advisory' AND granted)"),
                "the run waits on the rollups' lock holding the maintainer lock: it is mid-run");
            await using (var kill = new NpgsqlCommand($"SELECT pg_terminate_backend({pid})", connection))
            {
                Assert.True((bool)(await kill.ExecuteScalarAsync())!);
            }
            var killed = await Record.ExceptionAsync(() => run);
            Assert.True(killed is NpgsqlException, $"the run was killed: {killed}");
            await hold.RollbackAsync();
        }
        NpgsqlConnection.ClearAllPools();
        await using var restarted = await TestDatabase.OpenAsync(connectionString);
        await RollupsTestDatabase.DrainAsync(restarted);
        await RollupsTestDatabase.AssertExactOverRandomWindowsAsync(restarted, apps, 9, "after an aborted and a killed maintainer");
    }

    [Fact]
    public async Task A_disabled_trigger_makes_the_rollups_not_ready_and_once_enabled_again_they_are_rebuilt_exactly()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var generator = await RollupsTestDatabase.SeedAndDrainAsync(connection, 0.03);
        var apps = generator.Apps.Take(3).Select(a => a.Id).ToArray();
        var workload = new RollupsWorkload(new Random(13), await RollupsWorkload.Snapshot.ReadAsync(connection, apps));

        await using (var disable = new NpgsqlCommand("ALTER TABLE app_session DISABLE TRIGGER peermetrics_rollups_update", connection))
        {
            await disable.ExecuteNonQueryAsync();
        }
        Assert.False((await RollupsDatabase.StatusAsync(connection, CancellationToken.None))!.Ready);
        for (var i = 0; i < 80; i++)
        {
            try
            {
                await workload.RunOneAsync(connection);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.UniqueViolation)
            {
            }
            if (i % 20 == 0)
            {
                Assert.Equal("backfilling", (await RollupsDatabase.ApplyAsync(connection, 100_000, 100, TimeSpan.Zero, CancellationToken.None)).Phase);
            }
        }
        await using (var enable = new NpgsqlCommand("ALTER TABLE app_session ENABLE TRIGGER peermetrics_rollups_update", connection))
        {
            await enable.ExecuteNonQueryAsync();
        }
        await RollupsTestDatabase.DrainAsync(connection);
        await RollupsTestDatabase.AssertExactOverRandomWindowsAsync(connection, apps, 13, "after a trigger was disabled and enabled again");
    }

    private static async Task MigrateWithoutRollupsAsync(string connectionString)
    {
        await using var db = TestDatabase.CreateContext(connectionString);
        await db.GetService<IMigrator>().MigrateAsync(LastMigrationWithoutRollups);
    }

    private static async Task<int> WriteUntilAsync(string connectionString, RollupsWorkload.Snapshot snapshot, int seed, CancellationToken stop)
    {
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var workload = new RollupsWorkload(new Random(seed), snapshot);
        var rejected = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await workload.RunOneAsync(connection);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.UniqueViolation)
            {
                rejected++;
            }
        }
        return rejected;
    }

    // What the peermetrics tables look like to anyone: relations and their flags, columns, constraints,
    // indexes, triggers, rules and policies, plus every non-system schema and function.
    private static Task<List<string>> CatalogAsync(NpgsqlConnection connection) => TestDatabase.RowsAsync(connection, """
        SELECT 'relation', c.relname, c.relkind::text, c.relhastriggers::text, c.relhasrules::text, c.relrowsecurity::text,
               c.relreplident::text, coalesce(array_to_string(c.reloptions, ','), ''), c.relpersistence::text
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'column', c.relname, a.attnum::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text,
               coalesce(pg_get_expr(d.adbin, d.adrelid), ''), '', ''
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid), '', '', '', '', ''
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'index', tablename, indexname, indexdef, '', '', '', '', '' FROM pg_indexes WHERE schemaname = 'public'
        UNION ALL
        SELECT 'trigger', t.tgrelid::regclass::text, CASE WHEN t.tgisinternal THEN 'internal' ELSE t.tgname END,
               t.tgenabled::text, CASE WHEN t.tgisinternal THEN '' ELSE pg_get_triggerdef(t.oid) END, '', '', '', ''
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'rule', tablename, rulename, definition, '', '', '', '', '' FROM pg_rules WHERE schemaname = 'public'
        UNION ALL
        SELECT 'policy', tablename, policyname, coalesce(qual, ''), '', '', '', '', '' FROM pg_policies WHERE schemaname = 'public'
        UNION ALL
        SELECT 'schema', nspname, '', '', '', '', '', '', '' FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
        UNION ALL
        SELECT 'function', p.pronamespace::regnamespace::text, p.oid::regprocedure::text, '', '', '', '', '', ''
        FROM pg_proc p WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
        ORDER BY 1, 2, 3, 4, 5
        """);
}
