using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using CliWrap;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PeerMetrics.AppHost;

/// <summary>
/// Postgres and Redis as Aspire executables on free loopback ports, for machines without a container runtime.
/// The Postgres cluster lives in a data directory the AppHost owns and survives restarts; Redis is a cache and
/// keeps nothing on disk.
/// </summary>
internal static class LocalInfrastructure
{
    private const string PostgresUser = "postgres";

    public sealed record Binaries(string? PostgresBin, string? RedisServer)
    {
        public IReadOnlyList<string> Missing =>
            [.. new[] { (PostgresBin, "postgres"), (RedisServer, "redis-server") }.Where(b => b.Item1 is null).Select(b => b.Item2)];
    }

    /// <summary>
    /// Postgres: <c>Infrastructure:PostgresBin</c> (or <c>PG_BIN</c>), else Debian's newest
    /// <c>/usr/lib/postgresql/N/bin</c>, else <c>postgres</c> on the PATH. Redis: <c>redis-server</c> on the PATH.
    /// </summary>
    public static Binaries FindBinaries(IConfiguration configuration)
    {
        var configured = configuration["Infrastructure:PostgresBin"] ?? Environment.GetEnvironmentVariable("PG_BIN");
        var postgresBin = new[] { configured }
            .Concat(DebianPostgresBinDirectories())
            .Concat([Path.GetDirectoryName(ResolveLinks(FindOnPath("postgres")))])
            .FirstOrDefault(dir => !string.IsNullOrEmpty(dir)
                && File.Exists(Path.Combine(dir, "postgres")) && File.Exists(Path.Combine(dir, "initdb")));
        return new Binaries(postgresBin, FindOnPath("redis-server"));
    }

    /// <summary>
    /// <c>Infrastructure:DataDirectory</c> (relative to the AppHost project), by default <c>.data</c> beside it.
    /// Tests point it at a throw-away directory.
    /// </summary>
    public static string DataDirectory(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(builder.Configuration["Infrastructure:DataDirectory"] is { Length: > 0 } configured
            ? configured
            : ".data", builder.AppHostDirectory);

    public static IResourceBuilder<IResourceWithConnectionString> AddLocalPostgres(this IDistributedApplicationBuilder builder,
        string name, string databaseName, string binDirectory, string dataDirectory)
    {
        var clusterDirectory = ClusterDirectory(dataDirectory);
        var (command, prefix) = AsPostgresUser(Path.Combine(binDirectory, "postgres"));

        var server = builder.AddExecutable(name, command, builder.AppHostDirectory, prefix)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false);
        var port = server.GetEndpoint("tcp").Property(EndpointProperty.TargetPort);
        server.WithArgs("-D", clusterDirectory, "-p", port,
            // TCP on loopback only; no Unix socket, so no socket directory to own or to outgrow the path limit.
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=");

        // Trust authentication, but nothing except this machine's loopback can reach the server.
        var serverConnection = ReferenceExpression.Create($"Host=127.0.0.1;Port={port};Username={PostgresUser};Database=postgres");
        var databaseConnection = ReferenceExpression.Create($"Host=127.0.0.1;Port={port};Username={PostgresUser};Database={databaseName}");

        var serverCheck = $"{name}-accepts-connections";
        var databaseCheck = $"{databaseName}-exists";
        builder.Services.AddHealthChecks()
            .AddAsyncCheck(serverCheck, ct => PingPostgresAsync(serverConnection, ct))
            .AddAsyncCheck(databaseCheck, ct => PingPostgresAsync(databaseConnection, ct));

        server
            .WithHealthCheck(serverCheck)
            .OnBeforeResourceStarted((resource, @event, ct) =>
                InitializeClusterAsync(clusterDirectory, binDirectory, Logger(@event.Services, resource), ct))
            .OnResourceReady((resource, @event, ct) =>
                CreateDatabaseIfMissingAsync(serverConnection, databaseName, Logger(@event.Services, resource), ct));

        return builder.AddConnectionString(databaseName, databaseConnection)
            .WithHealthCheck(databaseCheck)
            .AsConnectionString(builder);
    }

    public static IResourceBuilder<IResourceWithConnectionString> AddLocalRedis(this IDistributedApplicationBuilder builder,
        string name, string connectionName, string redisServer)
    {
        var server = builder.AddExecutable(name, redisServer, builder.AppHostDirectory)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false);
        var port = server.GetEndpoint("tcp").Property(EndpointProperty.TargetPort);
        // A cache: no snapshots, no append-only file, nothing written to the working directory.
        server.WithArgs("--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no");
        // Bounded: past the limit Redis evicts the least recently used keys instead of growing.
        server.WithArgs(RedisMemoryLimit.Arguments(builder.Configuration));

        // The connection string is known once the port is allocated, before the process starts; the check runs after.
        var connection = ReferenceExpression.Create($"127.0.0.1:{port}");
        string? connectionString = null;
        server.OnBeforeResourceStarted(async (_, _, ct) => connectionString = await connection.GetValueAsync(ct));
        var check = $"{name}-pong";
        builder.Services.AddHealthChecks().AddRedis(_ => connectionString ?? throw new InvalidOperationException($"{name} has not started yet"),
            check, timeout: TimeSpan.FromSeconds(3));
        server.WithHealthCheck(check);

        return builder.AddConnectionString(connectionName, connection)
            // WaitFor(cache) must mean "answers PING", not merely "the process was started".
            .WithHealthCheck(check)
            .AsConnectionString(builder);
    }

    /// <summary>
    /// As root, the cluster must be owned by (and reachable for) the postgres user. A data directory under a
    /// private home (e.g. /root) is not, so the cluster then lives under /var/lib/peermetrics, keyed by the data
    /// directory so that two checkouts never share one.
    /// </summary>
    private static string ClusterDirectory(string dataDirectory)
    {
        var preferred = Path.Combine(dataDirectory, "postgres");
        if (!Environment.IsPrivilegedProcess || OthersCanTraverse(dataDirectory))
        {
            return preferred;
        }
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dataDirectory)))[..12];
        return Path.Combine("/var/lib/peermetrics", key, "postgres");
    }

    private static async Task InitializeClusterAsync(string clusterDirectory, string binDirectory, ILogger logger,
        CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(clusterDirectory, "PG_VERSION")))
        {
            RemoveStaleLockFile(clusterDirectory, logger);
            return;
        }

        logger.LogInformation("Creating the Postgres cluster in {Directory}", clusterDirectory);
        Directory.CreateDirectory(clusterDirectory);
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", ["-R", $"{PostgresUser}:{PostgresUser}", clusterDirectory], logger, cancellationToken);
        }
        // initdb insists on an owner-only data directory.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(clusterDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var (initdb, prefix) = AsPostgresUser(Path.Combine(binDirectory, "initdb"));
        await RunAsync(initdb, [.. prefix,
            "-D", clusterDirectory, "-U", PostgresUser, "--auth=trust", "-E", "UTF8", "--locale=C"], logger, cancellationToken);
    }

    /// <summary>
    /// A stop that does not wait for Postgres' shutdown leaves postmaster.pid behind. Postgres itself ignores it
    /// unless its PID now belongs to another process, so remove it when that PID is not a running postgres.
    /// </summary>
    private static void RemoveStaleLockFile(string clusterDirectory, ILogger logger)
    {
        var lockFile = Path.Combine(clusterDirectory, "postmaster.pid");
        string? firstLine;
        try
        {
            firstLine = File.ReadLines(lockFile).FirstOrDefault();
        }
        catch (IOException)
        {
            return;
        }
        if (!int.TryParse(firstLine, out var pid))
        {
            return;
        }

        var command = $"/proc/{pid}/comm";
        var running = File.Exists(command) && File.ReadAllText(command).Trim() == "postgres";
        if (!running)
        {
            logger.LogInformation("Removing the lock file of a Postgres (pid {Pid}) that is no longer running", pid);
            File.Delete(lockFile);
        }
    }

    private static async Task CreateDatabaseIfMissingAsync(ReferenceExpression serverConnection, string databaseName,
        ILogger logger, CancellationToken cancellationToken)
    {
        // Unpooled: the AppHost has no further use for this connection.
        var settings = new NpgsqlConnectionStringBuilder(await serverConnection.GetValueAsync(cancellationToken)) { Pooling = false };
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", databaseName);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        logger.LogInformation("Creating database {Database}", databaseName);
        var quoted = new NpgsqlCommandBuilder().QuoteIdentifier(databaseName);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<HealthCheckResult> PingPostgresAsync(ReferenceExpression connectionString, CancellationToken cancellationToken)
    {
        try
        {
            var settings = new NpgsqlConnectionStringBuilder(await connectionString.GetValueAsync(cancellationToken))
            {
                // Each probe stands alone: a pooled connection would hide a server that has gone away.
                Pooling = false,
                Timeout = 3,
            };
            await using var connection = new NpgsqlConnection(settings.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is NpgsqlException or SocketException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy(exception.Message);
        }
    }

    /// <summary>
    /// Postgres refuses to run as root. setpriv (unlike runuser) execs in place, so the process Aspire starts
    /// and stops is postgres itself and a stop signal reaches it directly.
    /// </summary>
    private static (string Command, string[] Prefix) AsPostgresUser(string tool) =>
        Environment.IsPrivilegedProcess
            ? ("setpriv", [$"--reuid={PostgresUser}", $"--regid={PostgresUser}", "--init-groups", "--", tool])
            : (tool, []);

    /// <summary>Runs a tool to completion, its output in the resource's log; fails when it exits non-zero.</summary>
    private static Task RunAsync(string fileName, IEnumerable<string> arguments, ILogger logger, CancellationToken cancellationToken)
    {
        var log = PipeTarget.ToDelegate(line => logger.LogInformation("{Line}", line));
        return Cli.Wrap(fileName).WithArguments(arguments).WithStandardOutputPipe(log).WithStandardErrorPipe(log)
            .ExecuteAsync(cancellationToken);
    }

    private static ILogger Logger(IServiceProvider services, IResource resource) =>
        services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);

    private static bool OthersCanTraverse(string directory)
    {
        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            if (current.Exists && !current.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
            {
                return false;
            }
        }
        return true;
    }

    private static IEnumerable<string> DebianPostgresBinDirectories() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(dir => int.TryParse(Path.GetFileName(dir), out var version) ? version : 0)
                .Select(dir => Path.Combine(dir, "bin"))
            : [];

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string? ResolveLinks(string? path) =>
        path is null ? null : new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
}
