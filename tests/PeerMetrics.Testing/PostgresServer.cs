using CliWrap;
using Npgsql;

namespace PeerMetrics.Testing;

/// <summary>
/// A real, throw-away Postgres cluster on a free loopback port (initdb into a temp directory, started with
/// pg_ctl). Durability is off: tests need speed, not crash safety. Stop/Start keep the data, so tests can
/// take the database away and bring it back.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _binDirectory;

    private PostgresServer(string directory, string binDirectory, int port)
    {
        _directory = directory;
        _binDirectory = binDirectory;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Timeout=5;Command Timeout=30";

    public static async Task<PostgresServer> StartNewAsync()
    {
        var binDirectory = FindBinDirectory();
        var directory = Path.Combine(Path.GetTempPath(), "peermetrics-tests", $"pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        if (Environment.IsPrivilegedProcess)
        {
            // Only this cluster's directory: a recursive chown of the shared parent races with other test runs
            // whose clusters are starting or being deleted. The parent (root, 755) stays traversable.
            await LocalProcess.RunAsync(Cli.Wrap("chown").WithArguments(["-R", "postgres:postgres", directory]), TimeSpan.FromSeconds(10));
        }

        await LocalProcess.RunAsync(LocalProcess.AsPostgresUser(Path.Combine(binDirectory, "initdb"),
            "-D", Path.Combine(directory, "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"),
            TimeSpan.FromMinutes(1));

        var server = new PostgresServer(directory, binDirectory, LocalProcess.FreePort());
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        var options = $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off " +
                      "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        await LocalProcess.RunAsync(LocalProcess.AsPostgresUser(Path.Combine(_binDirectory, "pg_ctl"),
            "-D", Path.Combine(_directory, "data"), "-l", Path.Combine(_directory, "postgres.log"), "-o", options, "-w", "start"),
            TimeSpan.FromMinutes(1));
    }

    public async Task StopAsync()
    {
        await LocalProcess.RunAsync(LocalProcess.AsPostgresUser(Path.Combine(_binDirectory, "pg_ctl"),
            "-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"), TimeSpan.FromMinutes(1));
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= $"test_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped by the test.
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string FindBinDirectory()
    {
        if (Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }
        var root = "/usr/lib/postgresql";
        var candidates = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).ToList()
            : [];
        return candidates.FirstOrDefault()
            ?? throw new InvalidOperationException("Postgres binaries not found: apt-get install -y postgresql (or set PG_BIN).");
    }
}
