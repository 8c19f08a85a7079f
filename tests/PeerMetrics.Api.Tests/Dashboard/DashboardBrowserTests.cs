using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Dashboard;

/// <summary>
/// The browser decides: Debian's Chromium loads a page from another origin than the Api and calls it as the
/// PeerMetrics dashboard does (<c>fetch(…, {credentials: "include", mode: "cors"})</c>, only the Django session
/// cookie, no token), over real sockets.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class DashboardBrowserTests(InfrastructureFixture infrastructure)
{
    public const string Chromium = "/usr/bin/chromium";

    // Every fetch the page makes, answered as {route, status, cache, body} or {route, error}.
    private const string FetchAll = """
        async ({ api, routes }) => JSON.stringify(await Promise.all(routes.map(async route => {
            try {
                const response = await fetch(api + route, { credentials: "include", mode: "cors" });
                return { route, status: response.status, cache: response.headers.get("X-Cache"), body: await response.text() };
            } catch (error) {
                return { route, error: String(error) };
            }
        })))
        """;

    [Fact]
    public async Task A_listed_origin_reads_every_summary_with_the_session_cookie_and_an_unlisted_one_is_refused()
    {
        await using var pages = await PageServer.StartAsync();
        await using var api = await KestrelApi.StartAsync(infrastructure, pages.Listed);
        var data = new TestData(api.ConnectionString);
        var organization = data.Organization();
        var app = data.App(organization);
        var conference = data.Conference(app);
        var alice = data.Participant(app);
        var bob = data.Participant(app);
        data.Join(alice, conference);
        data.Join(bob, conference);
        var session = data.Session(conference, alice);
        data.Session(conference, bob);
        data.Connection(session, bob);
        data.Issue(session, "tcp_used", "w");
        await data.SaveAsync();
        var sessionKey = await DjangoLogins.SignInAsync(api.ConnectionString,
            await DjangoLogins.AddUserAsync(api.ConnectionString, organization.Id), DjangoSessionFormat.Legacy);
        string[] routes = [.. SummaryCatalog.All.Select(summary => $"{summary.Route}?appId={app.Id}"), $"/v1/conferences?appId={app.Id}"];

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var context = await browser.NewContextAsync();
        await context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = "pmsession", Value = sessionKey, Url = api.Address, HttpOnly = true }]);
        var answers = await FetchAllAsync(context, pages.Listed, api.Address, routes);
        var refused = await FetchAllAsync(context, pages.Unlisted, api.Address, routes);

        using var bearer = api.Factory.CreateClientFor(organization.Id);
        foreach (var route in routes)
        {
            var answer = answers[route];
            Assert.True(answer["status"]?.GetValue<int>() == 200, $"{route}: {answer.ToJsonString()}");
            using var expected = await bearer.GetAsync(route);
            Assert.Equal(HttpStatusCode.OK, expected.StatusCode);
            JsonAssert.Equal(await expected.Content.ReadAsStringAsync(), answer["body"]!.GetValue<string>());
        }
        // X-Cache is exposed to the page.
        Assert.All(SummaryCatalog.All, summary => Assert.Equal("MISS", answers[$"{summary.Route}?appId={app.Id}"]["cache"]?.GetValue<string>()));
        // The browser itself refuses the answers to an unlisted origin: the page sees a network error, no status.
        Assert.All(routes, route =>
        {
            Assert.Null(refused[route]["status"]);
            Assert.Contains("Failed to fetch", refused[route]["error"]!.GetValue<string>(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Without_a_session_the_page_sees_the_401_problem()
    {
        await using var pages = await PageServer.StartAsync();
        await using var api = await KestrelApi.StartAsync(infrastructure, pages.Listed);
        var route = $"{SummaryCatalog.All[0].Route}?appId={Guid.NewGuid()}";

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var context = await browser.NewContextAsync();
        await context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = "pmsession", Value = "signed-out-session", Url = api.Address }]);
        var answer = (await FetchAllAsync(context, pages.Listed, api.Address, [route]))[route];

        Assert.Equal(401, answer["status"]?.GetValue<int>());
        Assert.Equal("unauthorized", JsonNode.Parse(answer["body"]!.GetValue<string>())!["error_code"]!.GetValue<string>());
    }

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: .ci/install-deps installs Debian's chromium.");
        return await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            // As root Chromium needs --no-sandbox; the rest keep it off the (closed) network.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    private static async Task<Dictionary<string, JsonNode>> FetchAllAsync(IBrowserContext context, string origin, string api,
        string[] routes)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(origin + "/");
        var json = await page.EvaluateAsync<string>(FetchAll, new { api = api.TrimEnd('/'), routes });
        await page.CloseAsync();
        return JsonNode.Parse(json)!.AsArray().ToDictionary(answer => answer!["route"]!.GetValue<string>(), answer => answer!);
    }

    /// <summary>The Api on a real loopback socket (the browser cannot reach the in-memory test server).</summary>
    private sealed class KestrelApi : IAsyncDisposable
    {
        private KestrelApi(ApiFactory factory, string connectionString) => (Factory, ConnectionString) = (factory, connectionString);

        public ApiFactory Factory { get; }
        public string ConnectionString { get; }
        public string Address => Factory.ClientOptions.BaseAddress.ToString().TrimEnd('/');

        /// <summary>Sessions on (<see cref="DjangoLogins.Settings"/>), CORS for <paramref name="dashboardOrigin"/> only.</summary>
        public static async Task<KestrelApi> StartAsync(InfrastructureFixture infrastructure, string dashboardOrigin)
        {
            var settings = DjangoLogins.Settings();
            settings["Cors:Origins:0"] = dashboardOrigin;
            var database = await infrastructure.Postgres.CreateDatabaseAsync();
            var factory = new ApiFactory(database, infrastructure.Redis.ConnectionString, settings);
            factory.UseKestrel(0);
            factory.StartServer();
            return new KestrelApi(factory, database);
        }

        public ValueTask DisposeAsync() => Factory.DisposeAsync();
    }

    /// <summary>Serves an empty page on two loopback ports: two origins, one listed in Cors:Origins and one not.</summary>
    private sealed class PageServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private PageServer(WebApplication app, string listed, string unlisted) => (_app, Listed, Unlisted) = (app, listed, unlisted);

        public string Listed { get; }
        public string Unlisted { get; }

        public static async Task<PageServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, 0);
                kestrel.Listen(IPAddress.Loopback, 0);
            });
            var app = builder.Build();
            app.MapGet("/", () => Results.Content("<!doctype html><title>PeerMetrics dashboard</title>", "text/html"));
            await app.StartAsync();
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
                .Addresses.Select(address => address.TrimEnd('/')).ToArray();
            return new PageServer(app, addresses[0], addresses[1]);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
