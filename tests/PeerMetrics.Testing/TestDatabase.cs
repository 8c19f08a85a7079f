using Microsoft.EntityFrameworkCore;
using Npgsql;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Testing;

/// <summary>Helpers for tests that talk to a database directly rather than through the Api.</summary>
public static class TestDatabase
{
    /// <summary>A new database with this service's migrations applied, exactly as the Api applies them.</summary>
    public static async Task<string> CreateMigratedAsync(PostgresServer postgres)
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var db = CreateContext(connectionString);
        await db.Database.MigrateAsync();
        return connectionString;
    }

    public static PeerMetricsDbContext CreateContext(string connectionString)
    {
        var options = new DbContextOptionsBuilder<PeerMetricsDbContext>().UseNpgsql(connectionString);
        DatabaseExtensions.ConfigureContext(options);
        return new PeerMetricsDbContext(options.Options);
    }

    public static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs one statement on a connection of its own; returns the rows it affected.</summary>
    public static async Task<int> ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Every row of a query, each row's columns joined with <c>|</c> (NULL as empty).</summary>
    public static async Task<List<string>> RowsAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var values = new string[reader.FieldCount];
            for (var i = 0; i < reader.FieldCount; i++)
            {
                values[i] = reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
            }
            rows.Add(string.Join('|', values));
        }
        return rows;
    }
}
