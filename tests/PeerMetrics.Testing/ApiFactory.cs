using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PeerMetrics.Tokens;

namespace PeerMetrics.Testing;

/// <summary>
/// The real Api in-process, wired to a real Postgres database and a real Redis. Extra settings (TTL, …)
/// go through <paramref name="settings"/> exactly as an operator would set them; <paramref name="services"/>, when
/// given, replaces services after the Api's own registrations (a fake clock, a span collector).
/// </summary>
public sealed class ApiFactory(string databaseConnectionString, string redisConnectionString,
    IReadOnlyDictionary<string, string?>? settings = null, string environment = "Testing", Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public const string SigningKey = "tests-signing-key-0123456789abcdef0123456789";

    private readonly FakeLoggerProvider _logs = new();

    /// <summary>Everything the Api logged, for assertions on warnings.</summary>
    public FakeLogCollector Logs => _logs.Collector;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("ConnectionStrings:peermetrics", databaseConnectionString);
        builder.UseSetting("ConnectionStrings:cache", redisConnectionString);
        builder.UseSetting("Auth:SigningKey", SigningKey);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.AddProvider(_logs));
        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>A client carrying the Prewarmer's refresh-scoped token (no organization).</summary>
    public HttpClient CreateRefreshClient()
    {
        var client = CreateClient();
        var token = Services.GetRequiredService<TokenIssuer>().CreateRefreshToken(TimeSpan.FromHours(1));
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _logs.Dispose();
            // Each test has a database of its own: its idle pooled connections would only add up towards the
            // shared cluster's connection limit.
            Npgsql.NpgsqlConnection.ClearAllPools();
        }
    }

    /// <summary>
    /// A client carrying a dashboard token for <paramref name="organizationId"/>, its requests passing through
    /// <paramref name="handlers"/> (checks on every answer) when there are any.
    /// </summary>
    public HttpClient CreateClientFor(Guid organizationId, params DelegatingHandler[] handlers)
    {
        var client = handlers.Length == 0 ? CreateClient() : CreateDefaultClient(handlers);
        var token = Services.GetRequiredService<TokenIssuer>().CreateOrganizationToken(organizationId, TimeSpan.FromHours(1));
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }
}
