using System.Net;
using System.Text.Json.Nodes;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Tests.Infrastructure;

namespace PeerMetrics.Api.Tests.Summaries;

/// <summary>
/// One fresh database with the real Api on it, an organization with one app, and a client for that
/// organization. Tests add their rows through <see cref="Data"/> and call <see cref="SaveAsync"/>.
/// </summary>
internal sealed class SummaryScenario : IAsyncDisposable
{
    private SummaryScenario(ApiFactory api, TestData data, HttpClient client)
    {
        Api = api;
        Data = data;
        Client = client;
        Organization = data.Organization();
        App = data.App(Organization);
    }

    public ApiFactory Api { get; }
    public TestData Data { get; }
    public HttpClient Client { get; }
    public Organization Organization { get; }
    public App App { get; }

    public static async Task<SummaryScenario> StartAsync(InfrastructureFixture infrastructure)
    {
        var database = await infrastructure.Postgres.CreateDatabaseAsync();
        var api = new ApiFactory(database, infrastructure.Redis.ConnectionString);
        var organizationId = Guid.NewGuid();
        // Creating the client starts the host, which runs the migrations before any row is written.
        var client = api.CreateClientFor(organizationId);
        var scenario = new SummaryScenario(api, new TestData(database), client);
        scenario.Organization.Id = organizationId;
        scenario.App.OrganizationId = organizationId;
        return scenario;
    }

    public Task SaveAsync() => Data.SaveAsync();

    /// <summary>GETs <paramref name="path"/> (appId appended for summaries) and returns the 200 body.</summary>
    public async Task<string> GetOkAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    public Task<string> GetSummaryAsync(string route, string? query = null) =>
        GetOkAsync($"{route}?appId={App.Id}{(query is null ? "" : "&" + query)}");

    public static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)),
            $"Expected {JsonNode.Parse(expected)!.ToJsonString()}\nActual   {actual}");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
    }
}
