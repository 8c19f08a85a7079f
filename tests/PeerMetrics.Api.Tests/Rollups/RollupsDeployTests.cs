using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;
using PeerMetrics.Api.Tests.Caching;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>
/// Two versions of the Api against one database (a rolling deploy, a rollback): only a newer one installs, once;
/// an older one leaves the install alone and serves raw rows (or the rollups, when the install says it may) and
/// says so. Install, uninstall and migration 0005 wait for the peermetrics tables' locks and hold them at most
/// <c>Rollups:LockTimeout</c>, retry a bounded number of times, and succeed once the tables are free.
/// The other version is simulated in the install's state row: its version and the oldest version that reads it.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class RollupsDeployTests(InfrastructureFixture infrastructure) : IDisposable
{
    public void Dispose() => NpgsqlConnection.ClearAllPools();

    private const string Window = "created_at_gte=2026-03-01T00:00:00Z";
    private const string Truth = """{"data":[{"code":"getusermedia_error","title":"Problem accessing media","count":2}]}""";
    private const string Corrupted = """{"data":[{"code":"getusermedia_error","title":"Problem accessing media","count":102}]}""";
    private const string LastMigrationWithoutRollups = "20261127000004_ParticipantCountIndex";
    private const string StateRow = """
        SELECT format('%s|%s|%s|%s|%s|%s|%s', version, phase, installed_at, ready_at, backfill_done, backfill_total,
                      (SELECT string_agg(t.oid::text, ',' ORDER BY t.oid) FROM pg_trigger t WHERE t.tgname LIKE 'peermetrics_rollups%'))
        FROM peermetrics_rollups.state
        """;

    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    [Theory]
    // A newer install that this version cannot read: raw rows serve.
    [InlineData(RollupsSql.Version + 1, Truth, false)]
    // A newer install that declares this version a compatible reader: the rollups serve.
    [InlineData(RollupsSql.Version, Corrupted, true)]
    public async Task An_older_api_never_reinstalls_over_a_newer_install_and_serves_what_it_can_read_saying_so(
        int minReader, string expected, bool readable)
    {
        // The maintainer polls on this clock: each of its reads of the status below is made to happen.
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["Rollups:Mode"] = "on", ["Rollups:PollInterval"] = "00:00:00.050",
        }, services => services.AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.UtcNow)));
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 2);
        await RollupsTestDatabase.CurrentAsync(api);
        // A rollup row that differs from the raw rows on purpose tells which one answered.
        await ExecuteAsync(api.ConnectionString,
            $"UPDATE peermetrics_rollups.issue_code_stored SET issues = issues + 100 WHERE app_id = '{app.Id}' AND level = 3");
        // A newer Api installed its version meanwhile.
        await ExecuteAsync(api.ConnectionString,
            $"UPDATE peermetrics_rollups.state SET version = {RollupsSql.Version + 1}, min_reader_version = {minReader}");
        await using var connection = await TestDatabase.OpenAsync(api.ConnectionString);
        var before = await TestDatabase.ScalarAsync<string>(connection, StateRow);

        // This (older) version starts again, as a rolling deploy's old replica or a rollback would, and an operator
        // runs its `rollups install`: neither touches the newer install.
        await using (var restarted = new ApiFactory(api.ConnectionString, infrastructure.Redis.ConnectionString))
        {
            restarted.CreateClient().Dispose();
        }
        var messages = new List<string>();
        Assert.Equal(RollupsInstallResult.NewerLeftAlone, await RollupsDatabase.InstallAsync(connection, messages.Add, CancellationToken.None));
        Assert.Contains(messages, m => m.Contains("newer than this build's"));
        Assert.Equal(before, await TestDatabase.ScalarAsync<string>(connection, StateRow));
        Assert.Equal(102L, await TestDatabase.ScalarAsync<long>(connection,
            $"SELECT sum(issues)::bigint FROM peermetrics_rollups.issue_code WHERE app_id = '{app.Id}' AND level = 3"));

        var monitor = api.Factory.Services.GetRequiredService<RollupsMonitor>();
        await ReadStatusAgainAsync(api, monitor);
        Assert.Equal(RollupsSql.Version + 1, monitor.Status?.Version);
        Assert.Equal(readable, monitor.Readable);
        using var client = api.Factory.CreateClientFor(organization.Id);
        await JsonAssert.OkBodyAsync(client, $"/v1/issues/summary?appId={app.Id}&{Window}", expected);

        var health = await api.Factory.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "rollups");
        var entry = health.Entries["rollups"];
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(RollupsSql.Version + 1, entry.Data["installed_version"]);
        Assert.Equal(RollupsSql.Version, entry.Data["reader_version"]);
        Assert.Equal(minReader, entry.Data["min_reader_version"]);
        Assert.Equal(readable, entry.Data["readable"]);
        if (!readable)
        {
            Assert.Contains("newer than this Api's", entry.Description);
        }

        // Said once, however many times the maintainer read the status since.
        for (var i = 0; i < 3; i++)
        {
            await ReadStatusAgainAsync(api, monitor);
        }
        Assert.Single(api.Factory.Logs.GetSnapshot(), log => log.Level == LogLevel.Warning && log.Message.Contains("is newer than this Api's"));
        Assert.Equal(before, await TestDatabase.ScalarAsync<string>(connection, StateRow));
    }

    [Fact]
    public async Task A_newer_unreadable_install_that_the_monitor_has_not_seen_yet_is_not_read_either()
    {
        // The maintainer (which feeds the monitor) sleeps once idle: the monitor keeps the version it first saw.
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["Rollups:Mode"] = "on", ["Rollups:MaxLag"] = "00:10:00", ["Rollups:PollInterval"] = "01:00:00",
        });
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString, conferences: 2);
        await using (var connection = await TestDatabase.OpenAsync(api.ConnectionString))
        {
            await RollupsDatabase.CatchUpAsync(connection, 2_000, TimeSpan.Zero, null, CancellationToken.None);
        }
        await RollupsTestDatabase.CurrentAsync(api);
        await ExecuteAsync(api.ConnectionString,
            $"UPDATE peermetrics_rollups.issue_code_stored SET issues = issues + 100 WHERE app_id = '{app.Id}' AND level = 3");
        await ExecuteAsync(api.ConnectionString,
            $"UPDATE peermetrics_rollups.state SET version = {RollupsSql.Version + 1}, min_reader_version = {RollupsSql.Version + 1}");
        var monitor = api.Factory.Services.GetRequiredService<RollupsMonitor>();
        Assert.Equal(RollupsSql.Version, monitor.Status!.Version);
        Assert.True(monitor.CanServe());

        using var client = api.Factory.CreateClientFor(organization.Id);
        await JsonAssert.OkBodyAsync(client, $"/v1/issues/summary?appId={app.Id}&{Window}", Truth);
    }

    [Fact]
    public async Task A_newer_api_upgrades_an_older_install_once_however_many_start_at_once()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        await DemoDataSeeder.SeedAsync(connection, new DemoDataGenerator(0.01, RollupsTestDatabase.Anchor), wipe: false, null,
            CancellationToken.None);
        await RollupsTestDatabase.DrainAsync(connection);
        // As an install of the version before this one left it: no min_reader_version column.
        await TestDatabase.ExecuteAsync(connectionString, $"""
            ALTER TABLE peermetrics_rollups.state DROP COLUMN min_reader_version;
            UPDATE peermetrics_rollups.state SET version = {RollupsSql.Version - 1}, installed_at = '2026-01-01T00:00Z';
            """);
        var older = await RollupsDatabase.StatusAsync(connection, CancellationToken.None);
        Assert.Equal(RollupsVersionFit.Older, older!.Fit);
        Assert.Equal(RollupsSql.Version - 1, older.MinReaderVersion);

        // Two new replicas (or a replica and an operator) at once: one upgrades, the other finds it done.
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            await using var own = await TestDatabase.OpenAsync(connectionString);
            return await RollupsDatabase.InstallAsync(own, null, CancellationToken.None);
        }));
        Assert.Equal(new[] { RollupsInstallResult.Installed, RollupsInstallResult.Upgraded }, results.Order());
        var upgraded = await TestDatabase.ScalarAsync<string>(connection, StateRow);
        Assert.StartsWith($"{RollupsSql.Version}|backfilling|", upgraded);
        Assert.Equal(RollupsSql.MinReaderVersion,
            await TestDatabase.ScalarAsync<int>(connection, "SELECT min_reader_version FROM peermetrics_rollups.state"));
        // The backfill's total was counted after the install, outside its locks.
        Assert.Equal(await TestDatabase.ScalarAsync<long>(connection, "SELECT count(*) FROM conference"),
            await TestDatabase.ScalarAsync<long>(connection, "SELECT backfill_total FROM peermetrics_rollups.state"));

        // A migrating Api of this version starting now leaves it as it is.
        await using (var api = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString,
                         new Dictionary<string, string?> { ["Rollups:Maintain"] = "false" }))
        {
            api.CreateClient().Dispose();
        }
        Assert.Equal(upgraded, await TestDatabase.ScalarAsync<string>(connection, StateRow));
        await RollupsTestDatabase.DrainAsync(connection);
        await RollupsTestDatabase.AssertExactAsync(connection, await AppsAsync(connection), [(null, null)], "after the upgrade");
    }

    [Fact]
    public async Task An_api_that_migrates_its_database_upgrades_an_older_install_at_start_up()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await TestDatabase.ExecuteAsync(connectionString,
            $"UPDATE peermetrics_rollups.state SET version = {RollupsSql.Version - 1}, installed_at = '2026-01-01T00:00Z'");
        await using var api = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString,
            new Dictionary<string, string?> { ["Rollups:Maintain"] = "false" });
        api.CreateClient().Dispose();
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        Assert.True(await TestDatabase.ScalarAsync<bool>(connection,
            $"SELECT version = {RollupsSql.Version} AND installed_at > '2026-01-02' FROM peermetrics_rollups.state"));
    }

    [Fact]
    public async Task Install_gives_up_after_the_lock_timeout_while_a_table_is_busy_retries_and_succeeds_once_it_is_free()
    {
        var connectionString = await infrastructure.Postgres.CreateDatabaseAsync();
        await MigrateWithoutRollupsAsync(connectionString);
        await using var connection = await TestDatabase.OpenAsync(connectionString);

        // A session holding SHARE on conference (as CREATE INDEX does): creating a trigger there must wait for it.
        await using var blocker = await TestDatabase.OpenAsync(connectionString);
        var holding = await blocker.BeginTransactionAsync();
        await Execute(blocker, "LOCK TABLE conference IN SHARE MODE", holding);

        var messages = new List<string>();
        var clock = Stopwatch.StartNew();
        var busy = await Assert.ThrowsAsync<RollupsBusyException>(() =>
            RollupsDatabase.InstallAsync(connection, new RollupsLocking(Short, 2), messages.Add, CancellationToken.None));
        clock.Stop();
        Assert.Contains(Assert.IsType<PostgresException>(busy.InnerException).SqlState,
            new[] { PostgresErrorCodes.LockNotAvailable, PostgresErrorCodes.QueryCanceled });
        Assert.Equal(2, messages.Count(m => m.Contains("retrying the install (triggers)")));
        // Three attempts of 300 ms and two pauses of at most 100 and 200 ms.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"gave up after {clock.Elapsed}");
        Assert.Equal(0, await TriggersAsync(connection));

        // Released while it retries: it gets through.
        var retries = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var install = RollupsDatabase.InstallAsync(connection, new RollupsLocking(Short, 20), retries.Enqueue, CancellationToken.None);
        await Responses.EventuallyAsync(() => Task.FromResult(retries.Any(m => m.Contains("retrying the install"))));
        Assert.False(install.IsCompleted);
        await holding.RollbackAsync();
        Assert.Equal(RollupsInstallResult.Installed, await install.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await TriggersAsync(connection) > 0);
    }

    [Fact]
    public async Task Uninstall_holds_a_table_at_most_the_lock_timeout_while_another_is_busy_and_succeeds_once_it_is_free()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        var (_, app) = await CacheTestData.SeedAppAsync(connectionString, conferences: 1);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var triggers = await TriggersAsync(connection);

        // A long read of app_session (a plain SELECT's ACCESS SHARE): dropping its trigger must wait for it, while
        // the uninstall already holds conference's ACCESS EXCLUSIVE.
        await using var blocker = await TestDatabase.OpenAsync(connectionString);
        var holding = await blocker.BeginTransactionAsync();
        await Execute(blocker, "LOCK TABLE app_session IN ACCESS SHARE MODE", holding);

        // A Django writer of conference meanwhile: never waits much longer than the lock timeout.
        using var stop = new CancellationTokenSource();
        var writer = WriteConferencesAsync(connectionString, app.Id, stop.Token);
        var busy = await Assert.ThrowsAsync<RollupsBusyException>(() =>
            RollupsDatabase.UninstallAsync(connection, new RollupsLocking(Short, 2), null, CancellationToken.None));
        Assert.Contains(((PostgresException)busy.InnerException!).SqlState, new[] { PostgresErrorCodes.LockNotAvailable, PostgresErrorCodes.QueryCanceled });
        await stop.CancelAsync();
        var (writes, longest) = await writer;
        Assert.True(writes > 0);
        Assert.True(longest < Short + TimeSpan.FromMilliseconds(700), $"a writer waited {longest}");
        Assert.Equal(triggers, await TriggersAsync(connection));
        Assert.True(await RollupsDatabase.IsInstalledAsync(connection, CancellationToken.None));

        var retries = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var uninstall = RollupsDatabase.UninstallAsync(connection, new RollupsLocking(Short, 20), retries.Enqueue, CancellationToken.None);
        await Responses.EventuallyAsync(() => Task.FromResult(retries.Any(m => m.Contains("retrying the uninstall"))));
        Assert.False(uninstall.IsCompleted);
        await holding.RollbackAsync();
        await uninstall.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await TriggersAsync(connection));
        Assert.False(await RollupsDatabase.IsInstalledAsync(connection, CancellationToken.None));
    }

    [Fact]
    public async Task Migration_0005_gives_up_on_a_busy_table_after_its_lock_timeout_instead_of_blocking()
    {
        var connectionString = await infrastructure.Postgres.CreateDatabaseAsync();
        await MigrateWithoutRollupsAsync(connectionString);
        await using var blocker = await TestDatabase.OpenAsync(connectionString);
        var holding = await blocker.BeginTransactionAsync();
        await Execute(blocker, "LOCK TABLE conference IN SHARE MODE", holding);

        await using (var db = TestDatabase.CreateContext(connectionString))
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var clock = Stopwatch.StartNew();
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => db.GetService<IMigrator>().MigrateAsync(cancellationToken: patience.Token));
            Assert.False(patience.IsCancellationRequested, $"the migration blocked: {failure.Message}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"gave up after {clock.Elapsed}");
            // EF's execution strategy wraps it as a transient failure (the Api's start-up strategy retries it).
            var cause = failure;
            while (cause is not PostgresException && cause.InnerException is { } inner)
            {
                cause = inner;
            }
            Assert.True(cause is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable }, failure.ToString());
        }
        await holding.RollbackAsync();

        await using (var db = TestDatabase.CreateContext(connectionString))
        {
            await db.GetService<IMigrator>().MigrateAsync();
        }
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        Assert.True(await TriggersAsync(connection) > 0);
    }

    private static async Task<(int Writes, TimeSpan Longest)> WriteConferencesAsync(string connectionString, Guid app, CancellationToken stop)
    {
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var (writes, longest) = (0, TimeSpan.Zero);
        while (!stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            await Execute(connection, $"UPDATE conference SET duration = coalesce(duration, 0) + 1 WHERE app_id = '{app}'");
            longest = clock.Elapsed > longest ? clock.Elapsed : longest;
            writes++;
            await Task.Delay(20, CancellationToken.None);
        }
        return (writes, longest);
    }

    private static Task<long> TriggersAsync(NpgsqlConnection connection) => TestDatabase.ScalarAsync<long>(connection,
        "SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.pronamespace::regnamespace::text = 'peermetrics_rollups'");

    private static async Task Execute(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task MigrateWithoutRollupsAsync(string connectionString)
    {
        await using var db = TestDatabase.CreateContext(connectionString);
        await db.GetService<IMigrator>().MigrateAsync(LastMigrationWithoutRollups);
    }

    private static async Task<List<Guid>> AppsAsync(NpgsqlConnection connection) =>
        [.. (await TestDatabase.RowsAsync(connection, "SELECT DISTINCT app_id FROM conference")).Select(Guid.Parse)];

    private static async Task ExecuteAsync(string connectionString, string sql) =>
        Assert.True(await TestDatabase.ExecuteAsync(connectionString, sql) > 0, sql);

    /// <summary>Moves the Api's fake clock on until its maintainer has read the status once more.</summary>
    private static async Task ReadStatusAgainAsync(TestApi api, RollupsMonitor monitor)
    {
        var seen = monitor.Status;
        await Responses.EventuallyAsync(() =>
        {
            api.AdvanceOnePoll();
            return Task.FromResult(!ReferenceEquals(monitor.Status, seen));
        });
    }
}
