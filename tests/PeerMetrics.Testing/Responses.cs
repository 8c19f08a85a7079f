using System.Net;
using System.Text.Json.Nodes;

namespace PeerMetrics.Testing;

/// <summary>Reading and checking the Api's responses.</summary>
public static class Responses
{
    public static string? CacheHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;

    /// <summary>The <c>X-Cache</c> header of a 200 answer to <paramref name="url"/>, optionally asking for a refresh.</summary>
    public static async Task<string?> CacheHeaderOf(HttpClient client, string url, bool noCache = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (noCache)
        {
            request.Headers.CacheControl = new() { NoCache = true };
        }
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return CacheHeader(response);
    }

    /// <summary>Asserts a problem+json answer with the contract's status and error code.</summary>
    public static async Task AssertProblemAsync(HttpClient client, string url, HttpStatusCode status, string errorCode)
    {
        using var response = await client.GetAsync(url);
        await AssertProblemAsync(response, status, errorCode, url);
    }

    /// <summary>Asserts that <paramref name="response"/> is problem+json with the contract's status and error code.</summary>
    public static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string errorCode, string? what = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{what}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(errorCode, problem["error_code"]!.GetValue<string>());
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
    }

    /// <summary><c>/health</c>: its status code and the overall status of its JSON report.</summary>
    public static async Task<(HttpStatusCode Code, string Status, JsonNode Report)> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health");
        var report = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (response.StatusCode, report["status"]!.GetValue<string>(), report);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <paramref name="timeout"/> (15 s by default).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met within {(timeout ?? TimeSpan.FromSeconds(15)).TotalSeconds} s");
            await Task.Delay(100);
        }
    }
}
