using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeerMetrics.Api.Forwarding;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Tokens;

namespace PeerMetrics.Api.Tests.Forwarding;

/// <summary>
/// Unserved /v1 routes through a real upstream: a Kestrel server on a loopback port that records what reached it
/// and answers what the test chose.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class UpstreamForwardingTests(InfrastructureFixture infrastructure)
{
    private const string AppId = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

    [Fact]
    public async Task Unserved_route_reaches_the_upstream_unchanged_and_its_answer_comes_back_unchanged()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        upstream.Reply = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status201Created;
            context.Response.Headers["X-Upstream"] = "django";
            context.Response.Headers.Location = "/v1/issues/77";
            context.Response.Headers.Append("Set-Cookie", "sessionid=new-session; Path=/; HttpOnly; SameSite=Lax");
            context.Response.Headers.Append("Set-Cookie", "csrftoken=new-token; Path=/");
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"id":77,"title":"from upstream"}""");
        };
        await using var api = await StartApiAsync(upstream.BaseAddress.ToString());
        using var client = PlainClient(api);

        const string target = $"/v1/issues/{AppId}/comments?page=2&q=a%20b&flag";
        const string body = """{"comment":"über","n":[1,2,3]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Cookie", "sessionid=abc123; csrftoken=tok");
        request.Headers.Add("X-CSRFToken", "tok");
        request.Headers.Add("X-Custom", "one, two");
        using var response = await client.SendAsync(request);

        var received = Assert.Single(upstream.Requests);
        Assert.Equal("POST", received.Method);
        Assert.Equal(target, received.RawTarget);
        Assert.Equal(body, received.Body);
        Assert.Equal("application/json; charset=utf-8", received.Header("Content-Type"));
        Assert.Equal("sessionid=abc123; csrftoken=tok", received.Header("Cookie"));
        Assert.Equal("tok", received.Header("X-CSRFToken"));
        Assert.Equal("one, two", received.Header("X-Custom"));
        // The upstream's own host, not the caller's.
        Assert.Equal(upstream.BaseAddress.Authority, received.Header("Host"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("""{"id":77,"title":"from upstream"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["django"], response.Headers.GetValues("X-Upstream"));
        Assert.Equal("/v1/issues/77", response.Headers.Location?.OriginalString);
        Assert.Equal(["sessionid=new-session; Path=/; HttpOnly; SameSite=Lax", "csrftoken=new-token; Path=/"],
            response.Headers.GetValues("Set-Cookie"));
        Assert.False(response.Headers.Contains("X-Cache"));
    }

    [Fact]
    public async Task A_forwarded_answer_to_a_dashboard_origin_carries_one_set_of_CORS_headers_ours()
    {
        const string dashboard = "https://dashboard.example";
        await using var upstream = await UpstreamServer.StartAsync();
        // The peermetrics API answers CORS itself, for any origin; the browser refuses two Allow-Origin values.
        upstream.Reply = async context =>
        {
            context.Response.Headers.AccessControlAllowOrigin = "*";
            context.Response.Headers.AccessControlAllowCredentials = "true";
            await context.Response.WriteAsync("[]");
        };
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["Api:Upstream"] = upstream.BaseAddress.ToString(),
            ["Cors:Origins"] = dashboard,
        });
        using var client = PlainClient(api);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/issues?app={AppId}");
        request.Headers.Add("Origin", dashboard);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([dashboard], response.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(["true"], response.Headers.GetValues("Access-Control-Allow-Credentials"));
        Assert.Equal("[]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_path_prefix_of_the_upstream_is_kept_and_an_upstream_404_stays_its_404()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        upstream.Reply = async context =>
        {
            context.Response.StatusCode = context.Request.Path.StartsWithSegments("/api/v1/sessions")
                ? StatusCodes.Status404NotFound
                : StatusCodes.Status418ImATeapot;
            // Chunked and empty: no Content-Length that would keep this service's status-code pages away.
            await context.Response.StartAsync();
        };
        await using var api = await StartApiAsync(new Uri(upstream.BaseAddress, "/api/").ToString());
        using var client = PlainClient(api);

        using var response = await client.GetAsync("/v1/sessions?conference_id=12");

        Assert.Equal("/api/v1/sessions?conference_id=12", Assert.Single(upstream.Requests).RawTarget);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        // The upstream's empty answer, not a problem body of this service's.
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Null(response.Content.Headers.ContentType);
    }

    [Fact]
    public async Task Served_routes_are_never_forwarded_and_another_method_on_them_is_405()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        upstream.Reply = context =>
        {
            context.Response.StatusCode = StatusCodes.Status418ImATeapot;
            return Task.CompletedTask;
        };
        await using var api = await StartApiAsync(upstream.BaseAddress.ToString());
        using var client = PlainClient(api);
        using var dashboard = PlainClient(api);
        var token = api.Factory.Services.GetRequiredService<TokenIssuer>().CreateOrganizationToken(Guid.NewGuid(), TimeSpan.FromHours(1));
        dashboard.DefaultRequestHeaders.Authorization = new("Bearer", token);

        // Served GETs are answered here: with no token the contract's 401, with a token of another organization 404.
        await Responses.AssertProblemAsync(client, $"/v1/conferences/summary?appId={AppId}", HttpStatusCode.Unauthorized, "unauthorized");
        await Responses.AssertProblemAsync(dashboard, $"/v1/conferences/summary?appId={AppId}", HttpStatusCode.NotFound, "app_not_found");
        await Responses.AssertProblemAsync(dashboard, $"/v1/conferences?appId={AppId}", HttpStatusCode.NotFound, "app_not_found");

        // Another method on a served path, in any letter case and with a trailing slash: 405, never the upstream.
        var wrongMethods = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Post, "/v1/conferences"),
            (HttpMethod.Delete, "/v1/conferences/summary"),
            (HttpMethod.Put, "/V1/Issues/Summary/"),
            (HttpMethod.Head, "/v1/connections/setup-time-summary"),
        };
        foreach (var (method, path) in wrongMethods)
        {
            using var request = new HttpRequestMessage(method, path);
            if (method != HttpMethod.Head)
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }
            using var response = await dashboard.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Equal(new[] { "GET" }, response.Content.Headers.Allow);
            if (method != HttpMethod.Head)
            {
                await Responses.AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
            }
        }

        Assert.Empty(upstream.Requests);
        // The same client and Api do reach the upstream for a route that is not served.
        using var unserved = await client.PostAsync("/v1/conferences/summary/export", null);
        Assert.Equal(418, (int)unserved.StatusCode);
        Assert.Equal("/v1/conferences/summary/export", Assert.Single(upstream.Requests).RawTarget);
    }

    [Fact]
    public async Task Without_an_upstream_unserved_routes_are_404_not_found()
    {
        await using var api = await StartApiAsync(upstream: null);
        using var client = PlainClient(api);

        await Responses.AssertProblemAsync(client, "/v1/issues?conference_id=1", HttpStatusCode.NotFound, "not_found");
        using var put = await client.PutAsync($"/v1/apps/{AppId}", new StringContent("{}", Encoding.UTF8, "application/json"));
        await Responses.AssertProblemAsync(put, HttpStatusCode.NotFound, "not_found");
        // A served path keeps its own answers.
        using var post = await client.PostAsync("/v1/conferences", null);
        await Responses.AssertProblemAsync(post, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        // Outside /v1 nothing is forwarded or answered by the forwarder.
        using var other = await client.GetAsync("/v2/issues");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Null(JsonNode.Parse(await other.Content.ReadAsStringAsync())!["error_code"]);
        // The catch-all is no operation of the OpenAPI document.
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
        Assert.Contains(document["paths"]!.AsObject(), path => path.Key == "/v1/conferences");
        Assert.DoesNotContain(document["paths"]!.AsObject(), path => path.Key.Contains("{path}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_upstream_is_502_bad_gateway_and_counted()
    {
        await using var api = await StartApiAsync($"http://127.0.0.1:{ClosedPort()}");
        using var requests = RequestsCollector(api);
        using var client = PlainClient(api);

        await Responses.AssertProblemAsync(client, "/v1/search?q=room", HttpStatusCode.BadGateway, "bad_gateway");
        using var put = await client.PutAsync($"/v1/apps/{AppId}", new StringContent("""{"name":"x"}""", Encoding.UTF8, "application/json"));
        await Responses.AssertProblemAsync(put, HttpStatusCode.BadGateway, "bad_gateway");

        Assert.Equal([("/v1/search", 502), ("/v1/apps/{id}", 502)], Measurements(requests));
    }

    [Fact]
    public async Task Forwarded_calls_are_counted_by_route_with_ids_and_by_status()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        upstream.Reply = context =>
        {
            context.Response.StatusCode = context.Request.Path.Value!.EndsWith("/missing", StringComparison.Ordinal)
                ? StatusCodes.Status404NotFound
                : StatusCodes.Status200OK;
            return Task.CompletedTask;
        };
        await using var api = await StartApiAsync(upstream.BaseAddress.ToString());
        using var requests = RequestsCollector(api);
        using var client = PlainClient(api);

        foreach (var path in new[]
        {
            $"/v1/apps/{AppId}/conferences/42?limit=5",
            $"/v1/apps/{Guid.NewGuid()}/conferences/7",
            "/v1/issues/missing",
            "/v1/sessions/2024abc",
        })
        {
            using var response = await client.GetAsync(path);
        }
        // Not forwarded, not counted.
        using var served = await client.PostAsync("/v1/conferences", null);

        Assert.Equal(4, upstream.Requests.Count);
        Assert.Equal(
            [("/v1/apps/{id}/conferences/{id}", 200), ("/v1/apps/{id}/conferences/{id}", 200), (UpstreamMetrics.UnknownRoute, 404), ("/v1/sessions/2024abc", 200)],
            Measurements(requests));
    }

    [Fact]
    public async Task A_put_body_goes_through_a_kestrel_socket_despite_the_global_body_limit_of_zero()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        upstream.Reply = async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"updated":true}""");
        };
        var database = await infrastructure.Postgres.CreateDatabaseAsync();
        await using var api = new ApiFactory(database, infrastructure.Redis.ConnectionString,
            new Dictionary<string, string?> { ["Api:Upstream"] = upstream.BaseAddress.ToString() });
        api.UseKestrel(0);
        api.StartServer();
        Assert.Equal(RequestLimits.MaxRequestBodyBytes,
            api.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value.Limits.MaxRequestBodySize);
        using var client = new HttpClient { BaseAddress = api.ClientOptions.BaseAddress };

        // Large enough to need several reads: ~200 KB of JSON.
        var body = new JsonObject
        {
            ["name"] = "Production",
            ["settings"] = new JsonArray([.. Enumerable.Range(0, 5000).Select(i => (JsonNode)$"setting-{i:D6}-{new string('x', 20)}")]),
        }.ToJsonString();
        using var put = await client.PutAsync($"/v1/apps/{AppId}", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("""{"updated":true}""", await put.Content.ReadAsStringAsync());
        var received = Assert.Single(upstream.Requests);
        Assert.Equal(("PUT", $"/v1/apps/{AppId}"), (received.Method, received.RawTarget));
        Assert.Equal(body, received.Body);

        // Past the forwarding bound the Api refuses the body itself, before the upstream sees anything.
        using var tooLargeRequest = new HttpRequestMessage(HttpMethod.Put, $"/v1/apps/{AppId}")
        {
            Content = new ByteArrayContent(new byte[UpstreamForwarding.MaxRequestBodyBytes + 1]),
        };
        // As a browser or curl would for a large body: the answer comes before the body is sent.
        tooLargeRequest.Headers.ExpectContinue = true;
        using var tooLarge = await client.SendAsync(tooLargeRequest);
        await Responses.AssertProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        Assert.Single(upstream.Requests);

        // A served path asked with another method reads no body either: the pipelined request after it is never
        // answered (nor forwarded), as after a served route's.
        using var socket = new TcpClient();
        await socket.ConnectAsync(api.ClientOptions.BaseAddress.Host, api.ClientOptions.BaseAddress.Port);
        var stream = socket.GetStream();
        var post = "POST /v1/conferences HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(post + "GET /v1/issues HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        var answer = await new StreamReader(stream, Encoding.ASCII).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\n", answer);
        Assert.Single(upstream.Requests);
    }

    [Fact]
    public async Task A_forwarded_call_is_traced_under_the_forwarder_route_with_the_outgoing_call_as_its_child()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var api = await StartApiAsync(upstream.BaseAddress.ToString());
        using var client = PlainClient(api);
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var callerTrace = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/connections?conference_id=5");
        request.Headers.Add("traceparent", $"00-{callerTrace}-{callerSpan}-01");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The Api's server span (the upstream's own server span continues the same trace further down).
        bool IsServer(Activity a) => a.Source.Name == "Microsoft.AspNetCore" && a.ParentSpanId == callerSpan;
        await Responses.EventuallyAsync(() => Task.FromResult(stopped.Any(IsServer)));
        var server = Assert.Single(stopped, IsServer);
        var outgoing = Assert.Single(stopped, a => a.Source.Name == "System.Net.Http" && a.TraceId == callerTrace);
        Assert.Equal(callerTrace, server.TraceId);
        Assert.Equal(UpstreamForwarding.RoutePattern, server.GetTagItem("http.route"));
        Assert.Equal(server.SpanId, outgoing.ParentSpanId);
        // The upstream continues the trace from the outgoing call, with one traceparent, not the caller's.
        Assert.Equal($"00-{callerTrace}-{outgoing.SpanId}-01", Assert.Single(upstream.Requests).Header("traceparent"));
    }

    [Theory]
    [InlineData("django:8000")]
    [InlineData("ftp://django/")]
    [InlineData("/api")]
    [InlineData("http://django:8000/?x=1")]
    public async Task An_upstream_that_is_not_an_absolute_http_url_stops_the_start(string upstream)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => StartApiAsync(upstream));

        var validation = Assert.IsType<OptionsValidationException>(Flatten(failure).OfType<OptionsValidationException>().FirstOrDefault());
        Assert.Contains("Api:Upstream must be an absolute http or https base URL", validation.Message);
        Assert.Contains($"got '{upstream}'", validation.Message);
    }

    private static IEnumerable<Exception> Flatten(Exception exception) =>
        exception is AggregateException aggregate
            ? aggregate.InnerExceptions.SelectMany(Flatten)
            : exception.InnerException is { } inner ? [exception, .. Flatten(inner)] : [exception];

    private Task<TestApi> StartApiAsync(string? upstream) =>
        TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis,
            upstream is null ? null : new Dictionary<string, string?> { ["Api:Upstream"] = upstream });

    // No cookie jar and no redirects: what the caller sends and gets is exactly what the test says.
    private static HttpClient PlainClient(TestApi api) =>
        api.Factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });

    private static MetricCollector<long> RequestsCollector(TestApi api) =>
        new(api.Factory.Services.GetRequiredService<IMeterFactory>(), UpstreamMetrics.MeterName, UpstreamMetrics.RequestsName);

    private static (string Route, int Status)[] Measurements(MetricCollector<long> requests) =>
        [.. requests.GetMeasurementSnapshot().Select(m =>
        {
            Assert.Equal(1, m.Value);
            return ((string)m.Tags["route"]!, (int)m.Tags["status"]!);
        })];

    /// <summary>A loopback port nothing listens on: bound, then released.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>What reached the upstream.</summary>
    private sealed record ReceivedRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>A stand-in for the peermetrics API: a real Kestrel server on 127.0.0.1 that records every request.</summary>
    private sealed class UpstreamServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<ReceivedRequest> _requests = new();

        private UpstreamServer(WebApplication app) => _app = app;

        public Uri BaseAddress { get; private set; } = null!;

        public IReadOnlyCollection<ReceivedRequest> Requests => _requests;

        /// <summary>The answer to every request; 200 with no body until set.</summary>
        public Func<HttpContext, Task> Reply { get; set; } = _ => Task.CompletedTask;

        public static async Task<UpstreamServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Testing" });
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var server = new UpstreamServer(app);
            app.Run(server.HandleAsync);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            server.BaseAddress = new Uri(address);
            return server;
        }

        private async Task HandleAsync(HttpContext context)
        {
            var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
            _requests.Enqueue(new ReceivedRequest(context.Request.Method, target, headers, body));
            await Reply(context);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
