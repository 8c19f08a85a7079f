using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using PeerMetrics.AppHost.Tests.Infrastructure;
using PeerMetrics.Tokens;

namespace PeerMetrics.AppHost.Tests.Prewarming;

/// <summary>
/// The seeded apps the Prewarmer considers active, each with a dashboard client of its organization, so a
/// test can ask exactly what a dashboard asks.
/// </summary>
public static class DemoTenants
{
    public sealed record ActiveApp(Guid AppId, Guid OrganizationId);

    /// <summary>The active apps as the Api lists them for the Prewarmer, with their owners from the database.</summary>
    public static async Task<IReadOnlyList<ActiveApp>> ActiveAppsAsync(AppHostFixture app)
    {
        using var client = app.App.CreateHttpClient(AppHostFixture.Api);
        client.DefaultRequestHeaders.Authorization = new("Bearer", Tokens(app).CreateRefreshToken(TimeSpan.FromHours(1)));
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
        client.DefaultRequestHeaders.Authorization = new("Bearer", Tokens(app).CreateOrganizationToken(organizationId, TimeSpan.FromHours(1)));
        return client;
    }

    /// <summary>Tokens signed with the key the AppHost gave the Api, with the contract's issuer and audience.</summary>
    public static TokenIssuer Tokens(AppHostFixture app) =>
        new(Options.Create(new AuthOptions { SigningKey = app.SigningKey }), TimeProvider.System);

    private sealed record ActiveAppsResponse(Guid[] Apps);
}
