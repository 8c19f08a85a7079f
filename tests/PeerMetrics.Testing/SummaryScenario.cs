using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Testing;

/// <summary>
/// A <see cref="TestApi"/> with an organization owning one app, and a dashboard client of that organization.
/// Tests add their rows through <see cref="Data"/> and call <see cref="SaveAsync"/>.
/// Started for a <see cref="SummarySource"/>, it makes that source answer and checks every summary answer of
/// <see cref="Client"/> came from it: <see cref="SummarySource.Rollups"/> runs <c>Rollups:Mode=on</c> and
/// <see cref="SaveAsync"/> returns once the rollups are ready and hold every row, so each compute reads them as they are (source
/// <c>rollups</c>); <see cref="SummarySource.Raw"/> runs <c>Rollups:Mode=off</c>, where no compute asks for them.
/// </summary>
public sealed class SummaryScenario : IAsyncDisposable
{
    private SummaryScenario(TestApi api, SummarySource? source)
    {
        Api = api;
        Source = source;
        Data = new TestData(api.ConnectionString);
        Organization = Data.Organization();
        App = Data.App(Organization);
        Client = source is { } answering
            ? api.Factory.CreateClientFor(Organization.Id, new AnsweringSourceCheck(api, answering))
            : api.Factory.CreateClientFor(Organization.Id);
    }

    public TestApi Api { get; }
    public TestData Data { get; }
    public HttpClient Client { get; }
    public Organization Organization { get; }
    public App App { get; }

    /// <summary>The source made to answer the summaries; null when the test leaves it to the Api.</summary>
    public SummarySource? Source { get; }

    public static async Task<SummaryScenario> StartAsync(InfrastructureFixture infrastructure,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null) =>
        new(await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, settings, services), source: null);

    public static async Task<SummaryScenario> StartAsync(InfrastructureFixture infrastructure, SummarySource source)
    {
        var settings = source == SummarySource.Rollups
            // A generous lag bound: the monitor keeps saying "current" between polls on a loaded machine.
            ? new Dictionary<string, string?> { ["Rollups:Mode"] = "on", ["Rollups:MaxLag"] = "00:01:00" }
            : new Dictionary<string, string?> { ["Rollups:Mode"] = "off" };
        return new(await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, settings), source);
    }

    /// <summary>Saves the rows; for <see cref="SummarySource.Rollups"/>, returns once the rollups hold them.</summary>
    public async Task SaveAsync()
    {
        await Data.SaveAsync();
        if (Source == SummarySource.Rollups)
        {
            await Api.RollupsCurrentAsync();
        }
    }

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

    /// <summary>Fails a summary answer that <see cref="Source"/> did not give.</summary>
    private sealed class AnsweringSourceCheck(TestApi api, SummarySource source) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var path = request.RequestUri!.AbsolutePath;
            if (response.IsSuccessStatusCode && SummaryCatalog.All.Any(summary => summary.Route == path))
            {
                var reads = api.RollupsReads();
                Assert.True(api.Computes() > 0, $"{path}: answered without any compute");
                Assert.True(source == SummarySource.Rollups
                        ? reads.Count > 0 && reads.All(read => read == "rollups")
                        : reads.Count == 0,
                    $"{path}: expected every compute answered by {source}, rollups reads were [{string.Join(", ", reads)}]");
            }
            return response;
        }
    }
}
