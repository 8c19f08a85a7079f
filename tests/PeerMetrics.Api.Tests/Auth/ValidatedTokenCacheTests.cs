using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PeerMetrics.Api.Tests.Caching;
using PeerMetrics.Tokens;

namespace PeerMetrics.Api.Tests.Auth;

/// <summary>Skipping re-validation of a known token must never accept a token that was not itself validated.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ValidatedTokenCacheTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task A_remembered_token_does_not_make_an_altered_or_foreign_one_valid()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis);
        using var anonymous = api.Factory.CreateClient();
        var (organization, app) = await CacheTestData.SeedAppAsync(api.ConnectionString);
        var url = $"/v1/connections/summary?appId={app.Id}";
        var token = api.Factory.Services.GetRequiredService<TokenIssuer>().CreateOrganizationToken(organization.Id, TimeSpan.FromHours(1));
        var otherKey = new TokenIssuer(Options.Create(new AuthOptions { SigningKey = new string('k', 40) }), TimeProvider.System)
            .CreateOrganizationToken(organization.Id, TimeSpan.FromHours(1));

        Assert.Equal(HttpStatusCode.OK, await StatusWith(anonymous, url, token));
        Assert.Equal(HttpStatusCode.OK, await StatusWith(anonymous, url, token));
        // Same header and payload, another signature; then a token signed with a key the Api does not trust.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(anonymous, url, token[..token.LastIndexOf('.')] + ".AAAA"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(anonymous, url, otherKey));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(anonymous, url, token + "x"));
    }

    private static async Task<HttpStatusCode> StatusWith(HttpClient client, string url, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
