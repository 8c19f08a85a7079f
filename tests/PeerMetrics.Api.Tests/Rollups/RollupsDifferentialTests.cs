using Npgsql;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;
using Xunit.Abstractions;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>
/// The rollups against the raw SQL: rounds of random mixed writes from several connections at once, with the
/// maintainer applying concurrently, then every summary over random windows compared row for row.
/// Set ROLLUPS_TEST_SEED to replay a failure (the seed is in every failure message).
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class RollupsDifferentialTests(InfrastructureFixture infrastructure, ITestOutputHelper output) : IDisposable
{
    // Each test opens several connections to its own database; close the idle ones so the shared cluster's
    // connection limit is left to the other test classes.
    public void Dispose() => NpgsqlConnection.ClearAllPools();

    private const int Rounds = 8;
    private const int Writers = 4;
    private const int OperationsPerWriter = 60;

    [Fact]
    public async Task Every_summary_from_the_rollups_equals_the_raw_rows_after_rounds_of_concurrent_mixed_writes()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ROLLUPS_TEST_SEED"), out var configured) ? configured : 20261201;
        output.WriteLine($"ROLLUPS_TEST_SEED={seed}");
        var random = new Random(seed);

        // The migrations install the rollups; the seed then writes through the triggers and the maintainer
        // backfills nothing it has not been told about.
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var generator = await RollupsTestDatabase.SeedAndDrainAsync(connection, 0.05);

        var apps = generator.Apps.Take(3).Select(a => a.Id).ToArray();
        var compared = apps.Append(Guid.NewGuid()).ToArray();
        var snapshot = await RollupsWorkload.Snapshot.ReadAsync(connection, apps);
        await RollupsTestDatabase.AssertExactAsync(connection, compared,
            RollupsTestDatabase.RandomWindows(random, snapshot.From, snapshot.Until), $"seed {seed}, after the seed");

        var rejected = 0;
        for (var round = 1; round <= Rounds; round++)
        {
            snapshot = await RollupsWorkload.Snapshot.ReadAsync(connection, apps);
            using var stop = new CancellationTokenSource();
            // Two maintainers (as two Api replicas) racing for the lock, each applying small batches.
            var maintainers = new[] { MaintainAsync(connectionString, stop.Token), MaintainAsync(connectionString, stop.Token) };
            var writers = Enumerable.Range(0, Writers).Select(async writer =>
            {
                var pace = new Random(seed * 17 + round * 5 + writer);
                var workload = new RollupsWorkload(new Random(seed * 31 + round * 7 + writer), snapshot);
                await using var own = await TestDatabase.OpenAsync(connectionString);
                var failed = 0;
                for (var i = 0; i < OperationsPerWriter; i++)
                {
                    try
                    {
                        await workload.RunOneAsync(own);
                        // Paced, so the maintainers' runs land between and inside the writers' transactions.
                        await Task.Delay(pace.Next(0, 25));
                    }
                    // Writes that conflict among themselves, not with the rollups: a deferred foreign key broken by a
                    // concurrent hard delete, a duplicate link, two writers' row locks in opposite order.
                    catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ForeignKeyViolation
                                                          or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected)
                    {
                        failed++;
                    }
                }
                return failed;
            }).ToList();
            rejected += (await Task.WhenAll(writers)).Sum();
            await stop.CancelAsync();
            var applied = (await Task.WhenAll(maintainers)).Sum();

            await RollupsTestDatabase.DrainAsync(connection);
            var after = await RollupsWorkload.Snapshot.ReadAsync(connection, apps);
            output.WriteLine($"round {round}: maintainers applied {applied} times meanwhile; {after.Conferences.Length} conferences, " +
                             $"{after.Sessions.Length} sessions, {after.Issues.Length} issues");
            await RollupsTestDatabase.AssertExactAsync(connection, compared,
                RollupsTestDatabase.RandomWindows(random, after.From, after.Until), $"seed {seed}, round {round}");
        }
        output.WriteLine($"{rejected} of {Rounds * Writers * OperationsPerWriter} writes rolled back by their own conflicts");
        Assert.True(rejected < Rounds * Writers * OperationsPerWriter / 4, $"too many rejected writes ({rejected}) to prove much");
    }

    // The maintainer applying while the writers write, so its snapshots cut their transactions anywhere.
    private static async Task<int> MaintainAsync(string connectionString, CancellationToken stop)
    {
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var runs = 0;
        while (!stop.IsCancellationRequested)
        {
            if ((await RollupsDatabase.ApplyAsync(connection, 20, 100, TimeSpan.Zero, CancellationToken.None)).Locked)
            {
                runs++;
            }
            try
            {
                await Task.Delay(5, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return runs;
    }
}
