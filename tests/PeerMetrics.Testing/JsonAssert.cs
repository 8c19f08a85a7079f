using System.Text.Json.Nodes;

namespace PeerMetrics.Testing;

/// <summary>
/// The exact-body assertion: both sides parsed and re-serialized compactly, then compared as text, so only
/// whitespace may differ (names, order and values may not).
/// </summary>
public static class JsonAssert
{
    public static void Equal(string expected, string actual) =>
        Assert.Equal(Normalize(expected), Normalize(actual));

    /// <summary>GETs <paramref name="url"/>, expects a success and exactly <paramref name="expected"/> as its body.</summary>
    public static async Task OkBodyAsync(HttpClient client, string url, string expected)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {body}");
        Equal(expected, body);
    }

    private static string Normalize(string json) => JsonNode.Parse(json)!.ToJsonString();
}
