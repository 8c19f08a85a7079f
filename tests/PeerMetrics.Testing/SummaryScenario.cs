using Microsoft.Extensions.DependencyInjection;
using System.Net;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Testing;

/// <summary>
/// A <see cref="TestApi"/> with an organization owning one app, and a dashboard client of that organization.
/// Tests add their rows through <see cref="Data"/> and call <see cref="SaveAsync"/>.
/// </summary>
public sealed class SummaryScenario : IAsyncDisposable
{
    private SummaryScenario(TestApi api)
    {
        Api = api;
        Data = new TestData(api.ConnectionString);
        Organization = Data.Organization();
        App = Data.App(Organization);
        Client = api.Factory.CreateClientFor(Organization.Id);
    }

    public TestApi Api { get; }
    public TestData Data { get; }
    public HttpClient Client { get; }
    public Organization Organization { get; }
    public App App { get; }

    public static async Task<SummaryScenario> StartAsync(InfrastructureFixture infrastructure,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null) =>
        new(await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, settings, services));

    public Task SaveAsync() => Data.SaveAsync();

    /// <summary>GETs <paramref name="path"/> and returns the 200 body.</summary>
    public async Task<string> GetOkAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>GETs a summary of <see cref="App"/> (appId appended) and returns the 200 body.</summary>
    public Task<string> GetSummaryAsync(string route, string? query = null) =>
        GetOkAsync($"{route}?appId={App.Id}{(query is null ? "" : "&" + query)}");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
    }
}
