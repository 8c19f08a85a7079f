using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerMetrics.Testing;

/// <summary>Small helpers to run the real Postgres and Redis binaries for tests.</summary>
public static class LocalProcess
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a command to completion; throws with its output when it fails.</summary>
    public static async Task RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var argumentList = arguments.ToList();
        var (exitCode, stdout, stderr) = await RunForOutputAsync(fileName, argumentList, timeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', argumentList)} exited {exitCode}: {stdout}{stderr}");
        }
    }

    /// <summary>
    /// Runs a command to completion, <paramref name="stdin"/> on its standard input when given, and returns its exit
    /// code and both outputs; fails when it outlives <paramref name="timeout"/>.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunForOutputAsync(
        string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? stdin = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Postgres refuses to run as root: as root, run its tools as the postgres user.</summary>
    public static (string FileName, IEnumerable<string> Arguments) AsPostgresUser(string tool, params string[] arguments) =>
        Environment.IsPrivilegedProcess
            ? ("runuser", ["-u", "postgres", "--", tool, .. arguments])
            : (tool, arguments);
}
