using PeerMetrics.Api.Summaries.Definitions;
using System.Net;

namespace PeerMetrics.Api.Tests.Dashboard;

/// <summary>
/// Cors:Origins: the listed dashboard origins get credentialed CORS on every answer, errors included; any other
/// origin, or no list at all, gets no CORS header. (The browser's own verdict is DashboardBrowserTests'.)
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class DashboardCorsTests(InfrastructureFixture infrastructure)
{
    private const string Dashboard = "http://dashboard.example:8080";
    private const string Other = "https://elsewhere.example";

    private static readonly Dictionary<string, string?> TwoOrigins = new()
    {
        // The form of one environment variable, Cors__Origins, listing several origins.
        ["Cors:Origins"] = $"https://first.example, {Dashboard}/",
        ["Rollups:Mode"] = "off",
    };

    [Fact]
    public async Task Preflight_of_a_credentialed_GET_with_Authorization_is_allowed_for_a_listed_origin()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, TwoOrigins);
        using var preflight = Preflight($"/v1/conferences/summary?appId={s.App.Id}", Dashboard);

        using var response = await s.Client.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Dashboard, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Contains("GET", Header(response, "Access-Control-Allow-Methods")!, StringComparison.Ordinal);
        Assert.Contains("authorization", Header(response, "Access-Control-Allow-Headers")!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Every_answer_to_a_listed_origin_carries_the_headers_errors_included()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, TwoOrigins);
        s.Data.Conference(s.App);
        await s.SaveAsync();
        using var anonymous = s.Api.Factory.CreateClient();

        using var ok = await GetAsync(s.Client, $"/v1/conferences/summary?appId={s.App.Id}", Dashboard);
        using var unauthorized = await GetAsync(anonymous, $"/v1/conferences/summary?appId={s.App.Id}", Dashboard);
        using var notFound = await GetAsync(s.Client, $"/v1/conferences/summary?appId={Guid.NewGuid()}", Dashboard);
        using var badRequest = await GetAsync(s.Client, "/v1/conferences/summary?appId=not-a-uuid", Dashboard);
        // A table the summary reads is gone: the exception handler's 500, which starts a fresh response.
        await TestDatabase.ExecuteAsync(s.Api.ConnectionString, "ALTER TABLE app_issue RENAME TO app_issue_gone");
        using var failed = await GetAsync(s.Client, $"{SummaryCatalog.All.Single(x => x.Label == "issues.summary").Route}?appId={s.App.Id}", Dashboard);

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.InternalServerError],
            [ok.StatusCode, unauthorized.StatusCode, notFound.StatusCode, badRequest.StatusCode, failed.StatusCode]);
        foreach (var response in new[] { ok, unauthorized, notFound, badRequest, failed })
        {
            Assert.Equal(Dashboard, Header(response, "Access-Control-Allow-Origin"));
            Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
            Assert.Contains("X-Cache", Header(response, "Access-Control-Expose-Headers")!, StringComparison.Ordinal);
        }
        Assert.Equal("MISS", Header(ok, "X-Cache"));
    }

    [Fact]
    public async Task An_unlisted_origin_gets_no_CORS_header()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, TwoOrigins);
        await s.SaveAsync();
        using var preflight = Preflight($"/v1/conferences/summary?appId={s.App.Id}", Other);

        using var preflightResponse = await s.Client.SendAsync(preflight);
        using var get = await GetAsync(s.Client, $"/v1/conferences/summary?appId={s.App.Id}", Other);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Null(Header(preflightResponse, "Access-Control-Allow-Origin"));
        Assert.Null(Header(get, "Access-Control-Allow-Origin"));
        Assert.Null(Header(get, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task No_origins_listed_means_no_CORS_at_all()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        await s.SaveAsync();
        using var preflight = Preflight($"/v1/conferences/summary?appId={s.App.Id}", Dashboard);

        using var preflightResponse = await s.Client.SendAsync(preflight);
        using var get = await GetAsync(s.Client, $"/v1/conferences/summary?appId={s.App.Id}", Dashboard);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Null(Header(preflightResponse, "Access-Control-Allow-Origin"));
        Assert.Null(Header(get, "Access-Control-Allow-Origin"));
        // The summary's own Vary, no Origin.
        Assert.Equal("Accept-Encoding", Header(get, "Vary"));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("https://dashboard.example/path")]
    [InlineData("dashboard.example")]
    public async Task A_wildcard_or_anything_but_an_origin_stops_the_start(string origin)
    {
        var database = await infrastructure.Postgres.CreateDatabaseAsync();
        await using var api = new ApiFactory(database, infrastructure.Redis.ConnectionString,
            new Dictionary<string, string?> { ["Cors:Origins:0"] = origin });

        var failure = Assert.ThrowsAny<Exception>(() => api.CreateClient());

        Assert.Contains("Cors:Origins", failure.ToString(), StringComparison.Ordinal);
    }

    private static HttpRequestMessage Preflight(string path, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "authorization");
        return request;
    }

    private static Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Origin", origin);
        return client.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;
}
