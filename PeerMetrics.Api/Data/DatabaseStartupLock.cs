using Npgsql;

namespace PeerMetrics.Api.Data;

/// <summary>
/// A Postgres advisory lock around start-up migration and seeding. Replicas that start together against one
/// database take turns: the first migrates and seeds, the others wait and then find nothing left to do. It works
/// wherever the Api runs (several replicas under the AppHost, an orchestrator, two processes by hand) without a
/// separate migration step. The lock belongs to a session of its own, so it is released when that session ends,
/// also when the holder dies half-way.
/// </summary>
internal sealed partial class DatabaseStartupLock : IAsyncDisposable
{
    // Any constant all instances agree on ("peermetr"); pg_locks shows it as classid 0x70656572, objid 0x6d657472.
    private const long Key = 0x7065_6572_6d65_7472;

    private readonly NpgsqlConnection _connection;

    private DatabaseStartupLock(NpgsqlConnection connection) => _connection = connection;

    public static async Task<DatabaseStartupLock> AcquireAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        // Unpooled, so that disposing closes the session (and releases the lock) instead of parking it in the pool;
        // no command timeout, since the wait lasts as long as another instance's seeding.
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, CommandTimeout = 0 };
        var connection = new NpgsqlConnection(settings.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (!await LockAsync(connection, "pg_try_advisory_lock", cancellationToken))
            {
                LogWaiting(logger);
                await LockAsync(connection, "pg_advisory_lock", cancellationToken);
            }
            return new DatabaseStartupLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private static async Task<bool> LockAsync(NpgsqlConnection connection, string function, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}(@key)", connection);
        command.Parameters.AddWithValue("key", Key);
        // pg_advisory_lock returns void (DBNull) once it holds the lock.
        return await command.ExecuteScalarAsync(cancellationToken) is not false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Another instance is migrating or seeding the database; waiting for it to finish")]
    private static partial void LogWaiting(ILogger logger);
}
