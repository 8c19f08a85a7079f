using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using PeerMetrics.Api;

namespace PeerMetrics.Testing;

/// <summary>
/// The Api's commands (<c>seed</c>, <c>rollups</c>) in-process, through the same command line as
/// <c>dotnet PeerMetrics.Api.dll &lt;args&gt;</c>, with their stdout and stderr captured.
/// </summary>
public static class ApiCommands
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string[] args, string connectionString,
        string? signingKey = ApiFactory.SigningKey, string environment = "Testing")
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:peermetrics"] = connectionString,
            ["Auth:SigningKey"] = signingKey,
        });
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await ApiCommandLine.RunAsync(builder, args, stdout, stderr, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
