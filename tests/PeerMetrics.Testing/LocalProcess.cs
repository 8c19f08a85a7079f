using System.Net;
using System.Net.Sockets;
using CliWrap;
using CliWrap.Buffered;

namespace PeerMetrics.Testing;

/// <summary>Small helpers to run the real Postgres, Redis and Django tools for tests.</summary>
public static class LocalProcess
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Runs <paramref name="command"/> to completion and returns its exit code and both outputs; past
    /// <paramref name="timeout"/> it is killed and this fails. With the command's default validation a non-zero exit
    /// fails too, with its stderr in the message.
    /// </summary>
    public static async Task<BufferedCommandResult> RunAsync(Command command, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        return await command.ExecuteBufferedAsync(cancellation.Token);
    }

    /// <summary>
    /// Postgres refuses to run as root: as root, run its tools as the postgres user, the way the AppHost does
    /// (setpriv, which execs the tool in place).
    /// </summary>
    public static Command AsPostgresUser(string tool, params string[] arguments) =>
        Environment.IsPrivilegedProcess
            ? Cli.Wrap("setpriv").WithArguments(["--reuid=postgres", "--regid=postgres", "--init-groups", "--", tool, .. arguments])
            : Cli.Wrap(tool).WithArguments(arguments);
}
