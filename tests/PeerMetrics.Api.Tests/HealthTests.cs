using System.Net;

namespace PeerMetrics.Api.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class HealthTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Health_is_ok_after_migrating_an_empty_database()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis);
        using var client = api.Factory.CreateClient();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}
