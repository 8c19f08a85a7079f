using System.Globalization;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;

namespace PeerMetrics.Benchmarks;

/// <summary>Drives a URL with wrk (Debian package) and reads its latency distribution and throughput.</summary>
public static partial class Wrk
{
    public sealed record Result(double RequestsPerSecond, double P50Ms, double P99Ms, long Non2xx);

    public static async Task<Result> RunAsync(Uri url, string? bearer, int connections, TimeSpan duration, string? acceptEncoding = null)
    {
        string[] authorization = bearer is null ? [] : ["-H", $"Authorization: Bearer {bearer}"];
        string[] encoding = acceptEncoding is null ? [] : ["-H", $"Accept-Encoding: {acceptEncoding}"];
        var output = (await Cli.Wrap("wrk")
            .WithArguments(["-t2", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", .. authorization, .. encoding, url.ToString()])
            .ExecuteBufferedAsync()).StandardOutput;

        return new Result(
            double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Latency(output, "50%"),
            Latency(output, "99%"),
            Non2xx().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    private static double Latency(string output, string percentile)
    {
        var match = Regex.Match(output, $@"^\s*{Regex.Escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();
}
