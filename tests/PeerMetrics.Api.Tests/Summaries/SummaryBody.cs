using System.Text.Json.Nodes;

namespace PeerMetrics.Api.Tests.Summaries;

/// <summary>Exact-body assertions: both sides parsed and re-serialized compactly, then compared as text.</summary>
internal static class SummaryBody
{
    public static async Task AssertBodyAsync(HttpClient client, string url, string expectedJson)
    {
        var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(Normalize(expectedJson), Normalize(body));
    }

    public static string Normalize(string json) => JsonNode.Parse(json)!.ToJsonString();
}
