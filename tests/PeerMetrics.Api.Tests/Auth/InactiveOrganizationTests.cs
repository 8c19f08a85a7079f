using PeerMetrics.Api.Summaries.Definitions;
using System.Net;

namespace PeerMetrics.Api.Tests.Auth;

/// <summary>Inactive organizations read nothing: their dashboard tokens get the contract's 401 on every route.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class InactiveOrganizationTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task A_token_of_an_inactive_organization_is_refused_on_every_route_every_time()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        s.Organization.IsActive = false;
        await s.SaveAsync();

        // Twice each: the second time the token is one ValidatedTokenCache already knows.
        for (var round = 0; round < 2; round++)
        {
            foreach (var summary in SummaryCatalog.All)
            {
                await Responses.AssertProblemAsync(s.Client, $"{summary.Route}?appId={s.App.Id}", HttpStatusCode.Unauthorized, "unauthorized");
            }
            await Responses.AssertProblemAsync(s.Client, $"/v1/conferences?appId={s.App.Id}", HttpStatusCode.Unauthorized, "unauthorized");
        }
    }

    [Fact]
    public async Task Active_organizations_and_the_refresh_token_still_read()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        var inactive = s.Data.Organization(o => o.IsActive = false);
        await s.SaveAsync();
        using var refresh = s.Api.Factory.CreateRefreshClient();
        using var inactiveClient = s.Api.Factory.CreateClientFor(inactive.Id);

        await s.GetSummaryAsync("/v1/sessions/summary");
        await s.GetOkAsync($"/v1/conferences?appId={s.App.Id}");
        using var refreshed = await refresh.GetAsync($"/v1/sessions/summary?appId={s.App.Id}");
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        await Responses.AssertProblemAsync(inactiveClient, $"/v1/sessions/summary?appId={s.App.Id}", HttpStatusCode.Unauthorized, "unauthorized");
    }
}
