using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Summaries;
using PeerMetrics.Tokens;

namespace PeerMetrics.Api.Tests.Hosting;

/// <summary>
/// The request-size limits, through a real Kestrel socket on a loopback port: the in-memory test server has
/// no such limits, so only a socket shows what a client gets.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class RequestLimitsTests(InfrastructureFixture infrastructure)
{
    private static readonly DateTime Start = new(2026, 3, 21, 0, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Thousand_conference_ids_answer_exactly_those_conferences(string httpVersion)
    {
        var version = Version.Parse(httpVersion);
        await using var s = await StartAsync(version == HttpVersion.Version20 ? Http2Only : null);
        var conferences = Enumerable.Range(0, ConferenceListRequestParser.MaxConferenceIds).Select(i => s.Data.Conference(s.App, c =>
        {
            c.Id = Guid.Parse($"00000000-0000-4000-8000-{i:D12}");
            c.ConferenceId = $"room-{i:D4}";
            c.ConferenceName = i % 2 == 0 ? $"call {i}" : null;
            c.ConferenceInfo = $$"""{"n":{{i}}}""";
            c.CreatedAt = Start.AddSeconds(i);
            c.StartTime = Start.AddSeconds(i).AddMilliseconds(250);
            c.EndTime = i % 3 == 0 ? Start.AddSeconds(2 * i) : null;
            c.Ongoing = i % 3 != 0;
            c.Duration = i;
        })).ToList();
        s.Data.Conference(s.App, c => c.CreatedAt = Start.AddDays(-1));
        await s.Data.SaveAsync();
        using var client = s.Client(version);

        // Newest first in the list: the answer is in created_at order all the same.
        var ids = string.Join(',', conferences.Select(c => c.Id).Reverse());
        using var response = await client.GetAsync($"/v1/conferences?conference_ids={ids}");

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(version, response.Version);
        JsonAssert.Equal(ExpectedList(conferences, s.App.Id), body);
    }

    [Fact]
    public async Task Over_1000_ids_is_the_contracts_400_up_to_the_request_line_limit()
    {
        await using var s = await StartAsync();
        await s.Data.SaveAsync();
        using var client = s.Client(HttpVersion.Version11);
        const string path = "/v1/conferences?conference_ids=";
        // "GET <target> HTTP/1.1\r\n" with n ids of 36 characters and n - 1 commas.
        var mostThatFit = (RequestLimits.MaxRequestLineBytes - RawHttp.RequestLine(path).Length + 1) / 37;
        Assert.Equal(1770, mostThatFit);
        string Ids(int count) => string.Join(',', Enumerable.Range(0, count).Select(_ => Guid.NewGuid()));

        foreach (var count in new[] { ConferenceListRequestParser.MaxConferenceIds + 1, mostThatFit })
        {
            await Responses.AssertProblemAsync(client, path + Ids(count), HttpStatusCode.BadRequest, "invalid_parameters");
        }
        // One more id and the request line no longer fits: Kestrel answers before the Api can.
        using var tooLong = await client.GetAsync(path + Ids(mostThatFit + 1));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, tooLong.StatusCode);
    }

    [Fact]
    public async Task A_request_line_one_byte_over_the_limit_is_refused_by_kestrel_with_414()
    {
        await using var s = await StartAsync();
        await s.Data.SaveAsync();
        var target = $"/v1/conferences?appId={s.App.Id}&pad=";
        string Padded(int lineBytes) => target + new string('x', lineBytes - RawHttp.RequestLine(target).Length);

        var atLimit = await RawHttp.SendOneAsync(s.Address, RawHttp.RequestLine(Padded(RequestLimits.MaxRequestLineBytes)), s.Authorization);
        var overLimit = await RawHttp.SendOneAsync(s.Address, RawHttp.RequestLine(Padded(RequestLimits.MaxRequestLineBytes + 1)), s.Authorization);

        Assert.Equal((200, """{"data":[]}"""), (atLimit.Status, atLimit.Body));
        Assert.Equal((414, ""), (overLimit.Status, overLimit.Body));
        Assert.StartsWith("HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\nConnection: close\r\n", overLimit.Head + "\r\n");
    }

    [Fact]
    public async Task Under_http2_a_target_over_the_limit_is_refused_without_a_status()
    {
        await using var s = await StartAsync(Http2Only);
        await s.Data.SaveAsync();
        using var client = s.Client(HttpVersion.Version20);
        // Kestrel holds method, scheme, authority and path together to the request-line limit.
        var prefix = $"/v1/conferences?appId={s.App.Id}&pad=";
        var fixedBytes = "GET".Length + "http".Length + s.Address.Authority.Length + prefix.Length;
        string Target(int lineBytes) => prefix + new string('x', lineBytes - fixedBytes);

        using var atLimit = await client.GetAsync(Target(RequestLimits.MaxRequestLineBytes));
        var overLimit = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(Target(RequestLimits.MaxRequestLineBytes + 1)));
        // A :path longer than the header-field limit fails HPACK decoding, which ends the whole connection.
        var overField = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(prefix + new string('x', RequestLimits.MaxRequestLineBytes)));

        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        Assert.Equal(0x1 /* PROTOCOL_ERROR: stream reset */, Assert.IsType<HttpProtocolException>(overLimit.InnerException).ErrorCode);
        Assert.Equal(0x9 /* COMPRESSION_ERROR: GOAWAY */, Assert.IsType<HttpProtocolException>(overField.InnerException).ErrorCode);
    }

    [Fact]
    public async Task Header_section_and_header_count_limits_are_kestrels_431()
    {
        await using var s = await StartAsync();
        await s.Data.SaveAsync();
        var line = RawHttp.RequestLine($"/v1/conferences?appId={s.App.Id}");
        // The header section as counted: every field line with its CRLF (Host, Authorization, X-Pad, Connection).
        var fixedBytes = "Host: localhost\r\n".Length + s.Authorization.Length + 2 + "X-Pad: \r\n".Length + "Connection: close\r\n".Length;
        string Pad(int sectionBytes) => "X-Pad: " + new string('x', sectionBytes - fixedBytes);
        string[] Fields(int count) => [s.Authorization, .. Enumerable.Range(0, count - 3).Select(i => $"X-Field-{i}: 1")];

        var sizeAtLimit = await RawHttp.SendOneAsync(s.Address, line, s.Authorization, Pad(RequestLimits.MaxRequestHeadersTotalBytes));
        var sizeOverLimit = await RawHttp.SendOneAsync(s.Address, line, s.Authorization, Pad(RequestLimits.MaxRequestHeadersTotalBytes + 1));
        // Host and Connection are fields too.
        var countAtLimit = await RawHttp.SendOneAsync(s.Address, line, Fields(RequestLimits.MaxRequestHeaderCount));
        var countOverLimit = await RawHttp.SendOneAsync(s.Address, line, Fields(RequestLimits.MaxRequestHeaderCount + 1));

        Assert.Equal(new[] { 200, 431, 200, 431 }, new[] { sizeAtLimit.Status, sizeOverLimit.Status, countAtLimit.Status, countOverLimit.Status });
        Assert.Equal("", sizeOverLimit.Body);
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n", countOverLimit.Head + "\r\n");
    }

    [Fact]
    public async Task A_request_body_is_answered_but_never_read()
    {
        await using var s = await StartAsync();
        await s.Data.SaveAsync();
        var get = $"{RawHttp.RequestLine($"/v1/conferences?appId={s.App.Id}")}Host: localhost\r\n{s.Authorization}\r\n";

        // Two pipelined requests on one connection; the second closes it.
        var plain = await RawHttp.SendAsync(s.Address, $"{get}\r\n{get}Connection: close\r\n\r\n");
        var withBody = await RawHttp.SendAsync(s.Address, $"{get}Content-Length: 3\r\n\r\nabc{get}Connection: close\r\n\r\n");

        Assert.Equal(new[] { 200, 200 }, plain.Select(response => response.Status));
        // The first request is served; its unread body is not drained, so the connection ends there.
        Assert.Equal(new[] { (200, """{"data":[]}""") }, withBody.Select(response => (response.Status, response.Body)));
    }

    // HTTP/2 without TLS (prior knowledge) is spoken only by an endpoint that speaks nothing else; with TLS, ALPN
    // negotiates it on the default endpoints, and the same limits apply.
    private static void Http2Only(KestrelServerOptions kestrel) =>
        kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);

    private static string ExpectedList(IEnumerable<Conference> conferences, Guid appId)
    {
        static JsonNode? Naive(DateTime? utc) => utc?.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        var rows = new JsonArray();
        foreach (var c in conferences.OrderBy(c => c.CreatedAt))
        {
            rows.Add(new JsonObject
            {
                ["id"] = c.Id.ToString(),
                ["conference_id"] = c.ConferenceId,
                ["conference_name"] = c.ConferenceName,
                ["conference_info"] = JsonNode.Parse(c.ConferenceInfo!),
                ["start_time"] = Naive(c.StartTime),
                ["call_start"] = null,
                ["end_time"] = Naive(c.EndTime),
                ["ongoing"] = c.Ongoing,
                ["duration"] = c.Duration,
                ["app"] = appId.ToString(),
                ["created_at"] = Naive(c.CreatedAt),
                ["has_errors"] = false,
                ["has_warnings"] = false,
                ["participants_count"] = 0,
            });
        }
        return new JsonObject { ["data"] = rows }.ToJsonString();
    }

    private async Task<KestrelScenario> StartAsync(Action<KestrelServerOptions>? kestrel = null)
    {
        var database = await infrastructure.Postgres.CreateDatabaseAsync();
        var api = new ApiFactory(database, infrastructure.Redis.ConnectionString);
        if (kestrel is null)
        {
            api.UseKestrel(0);
        }
        else
        {
            api.UseKestrel(kestrel);
        }
        // Starting runs the migrations before any row is written.
        api.StartServer();
        return new KestrelScenario(api, new TestData(database));
    }

    private sealed class KestrelScenario : IAsyncDisposable
    {
        private readonly string _token;

        public KestrelScenario(ApiFactory api, TestData data)
        {
            Api = api;
            Data = data;
            var organization = data.Organization();
            App = data.App(organization);
            _token = api.Services.GetRequiredService<TokenIssuer>().CreateOrganizationToken(organization.Id, TimeSpan.FromHours(1));
        }

        public ApiFactory Api { get; }
        public TestData Data { get; }
        public App App { get; }

        /// <summary>The server's real address, e.g. http://127.0.0.1:41234/.</summary>
        public Uri Address => Api.ClientOptions.BaseAddress;

        public string Authorization => $"Authorization: Bearer {_token}";

        public HttpClient Client(Version version)
        {
            var client = Api.CreateClient();
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
            client.DefaultRequestHeaders.Authorization = new("Bearer", _token);
            return client;
        }

        public async ValueTask DisposeAsync() => await Api.DisposeAsync();
    }
}
