using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using Microsoft.Extensions.Options;
using PeerMetrics.Tokens;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// The real Api, run as its own process from its build output and configured only by environment
/// variables — the way it is deployed.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ApiProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>The JWT signing key every benchmark Api is given (tokens are minted with it).</summary>
    public const string SigningKey = "benchmark-signing-key-0123456789abcdef01234567";

    /// <summary>The environment of a benchmark Api on <paramref name="database"/> (and the cache, when given), in Production.</summary>
    public static Dictionary<string, string> Environment(string database, string? cache = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__peermetrics"] = database,
            ["Auth__SigningKey"] = SigningKey,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            // Computes are timed here, not logged.
            ["SummaryCache__SlowComputeThreshold"] = "00:00:10",
        };
        if (cache is not null)
        {
            environment["ConnectionStrings__cache"] = cache;
        }
        return environment;
    }

    /// <summary>A token issuer with <see cref="SigningKey"/>.</summary>
    public static TokenIssuer Tokens() => new(Options.Create(new AuthOptions { SigningKey = SigningKey }), TimeProvider.System);

    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "PeerMetrics.Api.dll");

    public static async Task<ApiProcess> StartAsync(IReadOnlyDictionary<string, string> environment, int port)
    {
        var info = Configure(["--urls", $"http://127.0.0.1:{port}"], environment);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Api did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  api: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var api = new ApiProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { BaseAddress = api.Address };
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                if ((await client.GetAsync("/alive")).IsSuccessStatusCode)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException("Api did not become healthy");
    }

    /// <summary>The processor time the process has used so far, user and kernel.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The process's resident memory now and its peak since <see cref="ResetPeakMemory"/> (Linux, bytes).</summary>
    public (long Resident, long Peak) Memory()
    {
        var status = File.ReadAllLines($"/proc/{_process.Id}/status");
        long Kilobytes(string field) =>
            long.Parse(status.Single(line => line.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..]
                .Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return (Kilobytes("VmRSS"), Kilobytes("VmHWM"));
    }

    /// <summary>Starts a new peak of <see cref="Memory"/> (writing 5 to clear_refs resets VmHWM).</summary>
    public void ResetPeakMemory() => File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");

    /// <summary>Runs <c>seed --scale</c> and returns its last stdout line (the JSON summary).</summary>
    public static async Task<string> SeedAsync(IReadOnlyDictionary<string, string> environment, double scale)
    {
        var result = await Cli.Wrap("dotnet")
            .WithArguments([DllPath, "seed", "--scale", scale.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            .WithEnvironmentVariables(variables =>
            {
                foreach (var (key, value) in environment)
                {
                    variables.Set(key, value);
                }
            })
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line => Console.Error.WriteLine($"  seed: {line}")))
            .ExecuteBufferedAsync();
        return result.StandardOutput.TrimEnd().Split('\n')[^1];
    }

    private static ProcessStartInfo Configure(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        return info;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
