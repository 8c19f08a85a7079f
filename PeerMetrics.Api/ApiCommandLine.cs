using System.CommandLine;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;

namespace PeerMetrics.Api;

/// <summary>
/// The Api executable's commands, <c>seed</c> and <c>rollups</c>: run instead of the web host when the first argument
/// names one (or asks for the help that lists them). System.CommandLine parses them and writes their <c>--help</c>. A command line it refuses exits with
/// <see cref="CommandExit.Usage"/>, its errors and the command's help on stderr: stdout carries only a command's results.
/// </summary>
public static class ApiCommandLine
{
    public static bool IsCommand(string[] args) => args is [SeedCommand.Name or RollupsCommand.Name or "-h" or "--help" or "-?", ..];

    public static Task<int> RunAsync(WebApplicationBuilder builder, string[] args) =>
        RunAsync(builder, args, Console.Out, Console.Error, CancellationToken.None);

    /// <summary>The commands with their output streams injectable, so tests run them in-process.</summary>
    public static async Task<int> RunAsync(WebApplicationBuilder builder, string[] args, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken)
    {
        var root = new RootCommand("PeerMetrics summary service. Without a command it serves the Api.")
        {
            SeedCommand.Create(builder),
            RollupsCommand.Create(builder),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await parsed.InvokeAsync(new InvocationConfiguration { Output = stderr, Error = stderr }, cancellationToken);
            return CommandExit.Usage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken);
    }
}
