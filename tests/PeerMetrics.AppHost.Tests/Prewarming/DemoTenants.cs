using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using PeerMetrics.AppHost.Tests.Infrastructure;

namespace PeerMetrics.AppHost.Tests.Prewarming;

/// <summary>
/// The seeded apps the Prewarmer considers active, each with a dashboard client of its organization, so a
/// test can ask exactly what a dashboard asks.
/// </summary>
public static class DemoTenants
{
    public sealed record ActiveApp(Guid AppId, Guid OrganizationId);

    public static readonly string[] SummaryRoutes =
    [
        "/v1/conferences/summary",
        "/v1/conferences/duration-summary",
        "/v1/conferences/participant-count-summary",
        "/v1/issues/summary",
        "/v1/issues/gum-summary",
        "/v1/connections/summary",
        "/v1/connections/setup-time-summary",
        "/v1/sessions/summary",
    ];

    /// <summary>The active apps as the Api lists them for the Prewarmer, with their owners from the database.</summary>
    public static async Task<IReadOnlyList<ActiveApp>> ActiveAppsAsync(AppHostFixture app)
    {
        using var client = app.App.CreateHttpClient(AppHostFixture.Api);
        client.DefaultRequestHeaders.Authorization = new("Bearer", Token(app, new Claim("scope", "summaries:refresh")));
        var since = DateTime.UtcNow.AddDays(-2).ToString("O");
        var listed = await client.GetFromJsonAsync<ActiveAppsResponse>($"/internal/active-apps?since={Uri.EscapeDataString(since)}");

        await using var connection = new NpgsqlConnection(await app.App.GetConnectionStringAsync(AppHostFixture.Database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, organization_id FROM app WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", listed!.Apps.ToArray());
        var apps = new List<ActiveApp>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            apps.Add(new ActiveApp(reader.GetGuid(0), reader.GetGuid(1)));
        }
        return apps;
    }

    public static HttpClient DashboardClient(AppHostFixture app, Guid organizationId)
    {
        var client = app.App.CreateHttpClient(AppHostFixture.Api);
        client.DefaultRequestHeaders.Authorization = new("Bearer", Token(app, new Claim("org", organizationId.ToString())));
        return client;
    }

    /// <summary>The dashboard's default window: now − 30 days, to the millisecond, as JS toISOString writes it.</summary>
    public static string DefaultWindowUrl(string route, Guid appId) =>
        $"{route}?appId={appId}&created_at_gte={DateTime.UtcNow.AddDays(-30):yyyy-MM-dd'T'HH:mm:ss.fff'Z'}";

    public static string Token(AppHostFixture app, Claim claim)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "peermetrics",
            Audience = "peermetrics-api",
            Subject = new ClaimsIdentity([claim]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(app.SigningKey)),
                SecurityAlgorithms.HmacSha256),
        });
    }

    private sealed record ActiveAppsResponse(Guid[] Apps);
}
