using System.Diagnostics;
using System.Net.Http.Headers;

namespace PeerMetrics.Benchmarks;

/// <summary>The benchmark's requests to the Api.</summary>
internal static class Http
{
    /// <summary>A client with <paramref name="bearer"/>, at most <paramref name="connections"/> connections when given.</summary>
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
}
