using PeerMetrics.Api.Summaries;
using System.Text.Json.Nodes;
using PeerMetrics.Api.Seeding;

namespace PeerMetrics.Api.Tests.Summaries;

/// <summary>
/// The unpaged drill-down the dashboard asks for at load, on the demo data of the benchmark's scale: streamed, it
/// must still be exactly the paged list end to end. (Its memory is measured by the benchmark's --drilldown.)
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class UnpagedConferenceListTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task At_scale_1_the_unpaged_list_equals_every_page_concatenated()
    {
        await using var api = await TestApi.StartAsync(infrastructure.Postgres, infrastructure.Redis, new Dictionary<string, string?>
        {
            ["Database:SeedDemoData"] = "true",
            ["Database:DemoDataScale"] = "1",
            // The list reads raw rows; the rollups' backfill would only compete for the two cores.
            ["Rollups:Mode"] = "off",
        });
        var demo = new DemoDataGenerator(1, DateTime.UnixEpoch);
        using var client = api.Factory.CreateClientFor(demo.MainOrganization.Id);
        var list = $"/v1/conferences?appId={demo.DominantApp.Id}";

        var unpaged = await client.GetStringAsync(list);
        var pages = new JsonArray();
        long count;
        var offset = 0;
        do
        {
            var page = JsonNode.Parse(await client.GetStringAsync($"{list}&limit={ConferenceListRequestParser.MaxLimit}&offset={offset}"))!;
            count = page["count"]!.GetValue<long>();
            foreach (var row in page["results"]!.AsArray().ToList())
            {
                pages.Add(row!.DeepClone());
            }
            offset += ConferenceListRequestParser.MaxLimit;
        }
        while (offset < count);

        Assert.True(count > 10_000, $"scale 1 has {count} conferences in its dominant app");
        Assert.Equal(count, pages.Count);
        JsonAssert.Equal(new JsonObject { ["data"] = pages }.ToJsonString(), unpaged);
    }
}
