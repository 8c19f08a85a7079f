using System.Diagnostics;
using System.Net.Http.Headers;

namespace PeerMetrics.Benchmarks;

/// <summary>The benchmark's requests to the Api.</summary>
internal static class Http
{
    /// <summary>What a browser that accepts compressed bodies sends.</summary>
    public const string BrowserAcceptEncoding = "br, gzip";

    /// <summary>
    /// A client with <paramref name="bearer"/>, at most <paramref name="connections"/> connections when given. It does
    /// not decompress: a body is read as it came over the wire.
    /// </summary>
    public static HttpClient Client(Uri address, string bearer, int? connections = null)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections ?? int.MaxValue };
        var client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>One request's milliseconds, body read; <paramref name="noCache"/> asks for a recompute (refresh tokens only).</summary>
    public static async Task<double> TimeAsync(HttpClient client, string url, bool noCache)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (noCache)
        {
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        }
        var started = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}");
        }
        return elapsed;
    }

    /// <summary>One response as it came: its status, its body's bytes on the wire and the headers the benchmark reads.</summary>
    public sealed record Fetched(double Milliseconds, int Status, byte[] Body, string? ETag, string? Cache, string? ContentEncoding);

    /// <summary>
    /// One GET as a browser sends it (<see cref="BrowserAcceptEncoding"/>), with <paramref name="ifNoneMatch"/> when
    /// given; traced (<see cref="Traces.Trace"/>) when <paramref name="trace"/> is set, its trace id returned.
    /// </summary>
    public static async Task<(Fetched Response, string? Trace)> FetchAsync(HttpClient client, string url, string? ifNoneMatch = null,
        bool trace = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept-Encoding", BrowserAcceptEncoding);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }
        var traceId = trace ? Traces.Trace(request) : null;
        var started = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotModified)
        {
            throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}");
        }
        return (new Fetched(elapsed, (int)response.StatusCode, body, response.Headers.ETag?.ToString(),
            response.Headers.TryGetValues("X-Cache", out var cache) ? cache.Single() : null,
            response.Content.Headers.ContentEncoding.SingleOrDefault()), traceId);
    }
}
