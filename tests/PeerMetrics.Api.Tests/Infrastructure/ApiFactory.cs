using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using PeerMetrics.Api.Auth;

namespace PeerMetrics.Api.Tests.Infrastructure;

/// <summary>
/// The real Api in-process, wired to a real Postgres database and a real Redis. Extra settings (TTL, …)
/// go through <paramref name="settings"/> exactly as an operator would set them.
/// </summary>
public sealed class ApiFactory(string databaseConnectionString, string redisConnectionString,
    IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public const string SigningKey = "tests-signing-key-0123456789abcdef0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:peermetrics", databaseConnectionString);
        builder.UseSetting("ConnectionStrings:cache", redisConnectionString);
        builder.UseSetting("Auth:SigningKey", SigningKey);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A client carrying a dashboard token for <paramref name="organizationId"/>.</summary>
    public HttpClient CreateClientFor(Guid organizationId)
    {
        var client = CreateClient();
        var token = Services.GetRequiredService<TokenIssuer>().CreateOrganizationToken(organizationId, TimeSpan.FromHours(1));
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }
}
