using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Problems;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Caching;

/// <summary>What a summary answer puts on the wire: content coding, validator, conditional requests, freshness.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SummaryWireTests(InfrastructureFixture infrastructure)
{
    private const string Window = "created_at_gte=2026-03-01T00:00:00Z";

    [Fact]
    public async Task Every_summary_is_served_in_brotli_gzip_and_identity_each_decoding_to_the_same_body()
    {
        await using var scenario = await StartAsync();
        foreach (var summary in SummaryCatalog.All)
        {
            var url = Url(scenario, summary);
            using var identity = await GetAsync(scenario.Client, url);
            using var brotli = await GetAsync(scenario.Client, url, "br");
            using var gzip = await GetAsync(scenario.Client, url, "gzip");
            var body = await identity.Content.ReadAsByteArrayAsync();

            Assert.Empty(identity.Content.Headers.ContentEncoding);
            Assert.Equal(["br"], brotli.Content.Headers.ContentEncoding);
            Assert.Equal(["gzip"], gzip.Content.Headers.ContentEncoding);
            Assert.Equal(body, Decode(await brotli.Content.ReadAsByteArrayAsync(), stream => new BrotliStream(stream, CompressionMode.Decompress)));
            Assert.Equal(body, Decode(await gzip.Content.ReadAsByteArrayAsync(), stream => new GZipStream(stream, CompressionMode.Decompress)));
            Assert.All(new[] { identity, brotli, gzip }, response =>
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
                Assert.Equal(["Accept-Encoding"], response.Headers.Vary);
                Assert.False(response.Headers.ETag!.IsWeak);
            });
            // One tag per representation: the three differ byte for byte.
            Assert.Equal(3, new[] { identity, brotli, gzip }.Select(response => response.Headers.ETag!.Tag).Distinct().Count());
        }
        Assert.Equal(1, scenario.Api.Computes(ConnectionSetupTimeSummary.Definition.Label));
    }

    [Fact]
    public async Task A_body_worth_compressing_is_smaller_on_the_wire()
    {
        await using var scenario = await StartAsync(conferences: 40);
        var url = Url(scenario, ConnectionSetupTimeSummary.Definition);

        using var identity = await GetAsync(scenario.Client, url);
        using var brotli = await GetAsync(scenario.Client, url, "gzip, deflate, br, zstd");
        using var gzip = await GetAsync(scenario.Client, url, "gzip, deflate");

        var size = (await identity.Content.ReadAsByteArrayAsync()).Length;
        Assert.Equal(["br"], brotli.Content.Headers.ContentEncoding);
        Assert.Equal(["gzip"], gzip.Content.Headers.ContentEncoding);
        Assert.True((await brotli.Content.ReadAsByteArrayAsync()).Length * 2 < size);
        Assert.True((await gzip.Content.ReadAsByteArrayAsync()).Length * 3 < size * 2);
    }

    [Theory]
    [InlineData(null, ContentCoding.Identity)]
    [InlineData("", ContentCoding.Identity)]
    [InlineData("br", ContentCoding.Brotli)]
    [InlineData("GZIP", ContentCoding.Gzip)]
    [InlineData("x-gzip", ContentCoding.Gzip)]
    [InlineData("gzip, deflate, br, zstd", ContentCoding.Brotli)]
    [InlineData("gzip, deflate", ContentCoding.Gzip)]
    [InlineData("br;q=0.5, gzip", ContentCoding.Gzip)]
    [InlineData("br;q=0.8, gzip;q=0.8", ContentCoding.Brotli)]
    [InlineData("gzip;q=0.5, identity", ContentCoding.Identity)]
    [InlineData("gzip;q=0.5, identity;q=0.5", ContentCoding.Gzip)]
    [InlineData("*", ContentCoding.Brotli)]
    [InlineData("br;q=0, *", ContentCoding.Gzip)]
    [InlineData("*;q=0.5, identity;q=0.1", ContentCoding.Brotli)]
    [InlineData("identity;q=0, gzip;q=0.1", ContentCoding.Gzip)]
    [InlineData("gzip;q=0.001", ContentCoding.Gzip)]
    [InlineData("deflate, zstd", ContentCoding.Identity)]
    [InlineData("br;q=0, gzip;q=0", ContentCoding.Identity)]
    // Nothing acceptable is available: the header is disregarded rather than answered with 406.
    [InlineData("identity;q=0", ContentCoding.Identity)]
    [InlineData("*;q=0", ContentCoding.Identity)]
    [InlineData("br;q=x", ContentCoding.Identity)]
    public void Accept_encoding_picks_the_highest_q_value_preferring_brotli_then_gzip(string? header, ContentCoding expected) =>
        // Twice: the first answer comes after another case's header was remembered, the second from this header's memo.
        Assert.Equal((expected, expected), (ContentCodings.Negotiate(header), ContentCodings.Negotiate(header)));

    [Fact]
    public async Task The_etag_is_the_same_on_every_hit_and_on_another_replica_sharing_redis()
    {
        await using var scenario = await StartAsync();
        var url = Url(scenario, ConnectionSetupTimeSummary.Definition);
        using var miss = await GetAsync(scenario.Client, url, "br");
        using var hit = await GetAsync(scenario.Client, url, "br");
        using var identity = await GetAsync(scenario.Client, url);

        await using var replica = new ApiFactory(scenario.Api.ConnectionString, infrastructure.Redis.ConnectionString);
        using var replicaClient = replica.CreateClientFor(scenario.Organization.Id);
        HttpResponseMessage? fromRedis = null;
        // The first replica writes Redis in the background, after its answer.
        await Responses.EventuallyAsync(async () =>
        {
            fromRedis?.Dispose();
            fromRedis = await GetAsync(replicaClient, url, "br");
            return Responses.CacheHeader(fromRedis) == "HIT";
        });
        using var replicaIdentity = await GetAsync(replicaClient, url);

        Assert.Equal(("MISS", "HIT"), (Responses.CacheHeader(miss), Responses.CacheHeader(hit)));
        Assert.Equal(miss.Headers.ETag, hit.Headers.ETag);
        Assert.Equal(miss.Headers.ETag, fromRedis!.Headers.ETag);
        Assert.Equal(await miss.Content.ReadAsByteArrayAsync(), await fromRedis.Content.ReadAsByteArrayAsync());
        // The replica makes the uncompressed body from the stored forms: the same bytes, the same tag.
        Assert.Equal("HIT", Responses.CacheHeader(replicaIdentity));
        Assert.Equal(identity.Headers.ETag, replicaIdentity.Headers.ETag);
        Assert.Equal(await identity.Content.ReadAsByteArrayAsync(), await replicaIdentity.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, scenario.Api.Computes(ConnectionSetupTimeSummary.Definition.Label));
        fromRedis.Dispose();
    }

    [Fact]
    public async Task A_matching_if_none_match_is_answered_304_without_a_body()
    {
        await using var scenario = await StartAsync();
        var url = Url(scenario, IssueCodeSummary.Definition);
        using var first = await GetAsync(scenario.Client, url, "gzip");
        var etag = first.Headers.ETag!.Tag;

        foreach (var ifNoneMatch in new[] { etag, "*", $"\"other\", {etag}", $"W/{etag}" })
        {
            using var notModified = await GetAsync(scenario.Client, url, "gzip", ifNoneMatch);

            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
            Assert.Equal(etag, notModified.Headers.ETag!.Tag);
            Assert.Equal(["Accept-Encoding"], notModified.Headers.Vary);
            Assert.True(notModified.Headers.CacheControl is { Private: true, MaxAge: not null });
            Assert.Equal("HIT", Responses.CacheHeader(notModified));
        }
        // Another representation's tag, or another body's, does not match.
        foreach (var ifNoneMatch in new[] { etag.Replace("-gzip", "-br", StringComparison.Ordinal), "\"other\"" })
        {
            using var full = await GetAsync(scenario.Client, url, "gzip", ifNoneMatch);

            Assert.Equal(HttpStatusCode.OK, full.StatusCode);
            Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await full.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task The_etag_changes_when_a_refresh_computes_a_different_body()
    {
        await using var scenario = await StartAsync();
        var url = Url(scenario, ConferenceStatusSummary.Definition);
        using var before = await GetAsync(scenario.Client, url, "br");
        using var prewarmer = scenario.Api.Factory.CreateRefreshClient();

        // Recomputed over the same data: the same body, the same tag.
        Assert.Equal("MISS", await Responses.CacheHeaderOf(prewarmer, url, noCache: true));
        using var same = await GetAsync(scenario.Client, url, "br", before.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);

        CacheTestData.AddConference(scenario.Data, scenario.App, 99);
        await scenario.SaveAsync();
        Assert.Equal("MISS", await Responses.CacheHeaderOf(prewarmer, url, noCache: true));
        using var after = await GetAsync(scenario.Client, url, "br", before.Headers.ETag!.Tag);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(before.Headers.ETag, after.Headers.ETag);
        Assert.NotEqual(await before.Content.ReadAsByteArrayAsync(), await after.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_browser_may_keep_the_body_only_as_long_as_the_entry_stays_fresh()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var scenario = await StartAsync(services: services => services.AddSingleton<TimeProvider>(time));
        var url = Url(scenario, SessionListSummary.Definition);

        using var miss = await GetAsync(scenario.Client, url);
        time.Advance(TimeSpan.FromSeconds(25.5));
        using var hit = await GetAsync(scenario.Client, url);
        time.Advance(TimeSpan.FromSeconds(35));
        using var stale = await GetAsync(scenario.Client, url);

        Assert.Equal("MISS", Responses.CacheHeader(miss));
        Assert.True(miss.Headers.CacheControl is { Private: true, NoCache: false }, $"{miss.Headers.CacheControl}");
        Assert.Equal(TimeSpan.FromSeconds(60), miss.Headers.CacheControl.MaxAge);
        Assert.Equal("HIT", Responses.CacheHeader(hit));
        Assert.True(hit.Headers.CacheControl is { Private: true, NoCache: false }, $"{hit.Headers.CacheControl}");
        Assert.Equal(TimeSpan.FromSeconds(34), hit.Headers.CacheControl.MaxAge);
        // Past its TTL the entry can only have come from fail-safe: the browser must ask again every time.
        Assert.Equal("STALE", Responses.CacheHeader(stale));
        Assert.True(stale.Headers.CacheControl is { Private: true, NoCache: true, MaxAge: null }, $"{stale.Headers.CacheControl}");
    }

    [Fact]
    public async Task Problem_answers_are_neither_compressed_nor_tagged()
    {
        await using var scenario = await StartAsync();
        var route = IssueCodeSummary.Definition.Route;

        foreach (var (url, status, code) in new[]
                 {
                     ($"{route}?appId={Guid.NewGuid()}", HttpStatusCode.NotFound, ApiProblems.AppNotFound),
                     ($"{route}?appId={scenario.App.Id}&created_at_gte=yesterday", HttpStatusCode.BadRequest, ApiProblems.InvalidParameters),
                     (route, HttpStatusCode.BadRequest, ApiProblems.MissingParameters),
                 })
        {
            using var response = await GetAsync(scenario.Client, url, "br, gzip", "*");

            await Responses.AssertProblemAsync(response, status, code, url);
            Assert.Empty(response.Content.Headers.ContentEncoding);
            Assert.Null(response.Headers.ETag);
            Assert.Empty(response.Headers.Vary);
            Assert.Null(response.Headers.CacheControl);
        }
    }

    private async Task<SummaryScenario> StartAsync(int conferences = 3, Action<IServiceCollection>? services = null)
    {
        var scenario = await SummaryScenario.StartAsync(infrastructure, services: services);
        for (var i = 0; i < conferences; i++)
        {
            CacheTestData.AddConference(scenario.Data, scenario.App, i);
        }
        await scenario.SaveAsync();
        return scenario;
    }

    private static string Url(SummaryScenario scenario, SummaryDefinition summary) => $"{summary.Route}?appId={scenario.App.Id}&{Window}";

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string url, string? acceptEncoding = null, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }
        return await client.SendAsync(request);
    }

    private static byte[] Decode(byte[] encoded, Func<Stream, Stream> decoder)
    {
        using var decoded = new MemoryStream();
        using (var stream = decoder(new MemoryStream(encoded)))
        {
            stream.CopyTo(decoded);
        }
        return decoded.ToArray();
    }
}
