using Npgsql;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>
/// What bounds the rollups' size: minutes are not stored (level 0 is read from the cells), and no cell table
/// has more rows than the raw rows it summarizes.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class RollupsFootprintTests(InfrastructureFixture infrastructure) : IDisposable
{
    public void Dispose() => NpgsqlConnection.ClearAllPools();

    private static readonly string[] Rollups =
    [
        "conference_status", "conference_duration", "conference_participants", "issue_code", "issue_gum",
        "connection_type", "connection_setup", "session_list",
    ];

    [Fact]
    public async Task Minutes_are_read_from_the_cells_and_no_cell_table_outgrows_the_rows_it_summarizes()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        await RollupsTestDatabase.SeedAndDrainAsync(connection, 0.05);

        foreach (var rollup in Rollups)
        {
            Assert.Equal(0, await TestDatabase.ScalarAsync<long>(connection,
                $"SELECT count(*) FROM peermetrics_rollups.{rollup}_stored WHERE level = 0"));
            Assert.True(await TestDatabase.ScalarAsync<long>(connection,
                $"SELECT count(*) FROM peermetrics_rollups.{rollup} WHERE level = 0") > 0, $"{rollup} reads no minute");
            Assert.True(await TestDatabase.ScalarAsync<long>(connection,
                $"SELECT count(*) FROM peermetrics_rollups.{rollup} WHERE level = 1") > 0, $"{rollup} stores no ten");
        }

        (string Cells, string Raw)[] bounded =
        [
            ("conference_cell", "SELECT count(*) FROM conference WHERE is_active"),
            ("issue_code_cell", "SELECT count(*) FROM app_issue WHERE is_active"),
            ("connection_cell", "SELECT count(*) FROM app_connection WHERE is_active"),
            ("session_cell", "SELECT count(*) FROM app_session WHERE is_active"),
        ];
        foreach (var (cells, raw) in bounded)
        {
            var cellRows = await TestDatabase.ScalarAsync<long>(connection, $"SELECT count(*) FROM peermetrics_rollups.{cells}");
            var rawRows = await TestDatabase.ScalarAsync<long>(connection, raw);
            Assert.True(cellRows > 0 && cellRows <= rawRows, $"{cells}: {cellRows} rows for {rawRows} raw rows");
        }
        // A session is in up to four lists, and its cell holds all four entries: the lists' minute rows outnumber the cells.
        Assert.True(await TestDatabase.ScalarAsync<long>(connection, "SELECT count(*) FROM peermetrics_rollups.session_list WHERE level = 0")
                    > 2 * await TestDatabase.ScalarAsync<long>(connection, "SELECT count(*) FROM peermetrics_rollups.session_cell"));
    }
}
