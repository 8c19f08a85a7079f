using PeerMetrics.Api.Summaries.Definitions;
using System.Net;

namespace PeerMetrics.Api.Tests.Summaries;

[Collection(InfrastructureCollection.Name)]
public sealed class SummaryErrorTests(InfrastructureFixture infrastructure)
{
    public static TheoryData<string> Routes() => new(SummaryCatalog.All.Select(summary => summary.Route));

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Bad_requests_are_problems_with_the_contract_codes(string route)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        var foreignApp = s.Data.App(s.Data.Organization());
        await s.SaveAsync();
        var app = s.App.Id;

        await Responses.AssertProblemAsync(s.Client, route, HttpStatusCode.BadRequest, "missing_parameters");
        await Responses.AssertProblemAsync(s.Client, $"{route}?appId=", HttpStatusCode.BadRequest, "missing_parameters");
        await Responses.AssertProblemAsync(s.Client, $"{route}?appId=not-a-uuid", HttpStatusCode.BadRequest, "invalid_parameters");
        await Responses.AssertProblemAsync(s.Client, $"{route}?appId={app}&created_at_gte=28/03/2026", HttpStatusCode.BadRequest, "invalid_parameters");
        await Responses.AssertProblemAsync(s.Client, $"{route}?appId={app}&created_at_lte=2026-02-30T10:00:00Z", HttpStatusCode.BadRequest, "invalid_parameters");
        await Responses.AssertProblemAsync(s.Client, $"{route}?appId={app}&created_at_gte=2026-03-28T10:00:00Z&created_at_lte=2026-03-27T10:00:00Z",
            HttpStatusCode.BadRequest, "invalid_parameters");
        await Responses.AssertProblemAsync(s.Client, $"{route}?appId={foreignApp.Id}", HttpStatusCode.NotFound, "app_not_found");
        await Responses.AssertProblemAsync(s.Client, $"{route}?appId={Guid.NewGuid()}", HttpStatusCode.NotFound, "app_not_found");

        using var anonymous = s.Api.Factory.CreateClient();
        await Responses.AssertProblemAsync(anonymous, $"{route}?appId={app}", HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task An_endpoints_problem_carries_the_requests_trace_id()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{ConferenceStatusSummary.Definition.Route}?appId=not-a-uuid");
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");

        using var response = await s.Client.SendAsync(request);

        await Responses.AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_parameters");
        var problem = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-0[01]$", problem["trace_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Drill_down_needs_a_token_too()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        using var anonymous = s.Api.Factory.CreateClient();

        await Responses.AssertProblemAsync(anonymous, $"/v1/conferences?appId={s.App.Id}", HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task OpenApi_document_names_the_routes_and_their_problems()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);

        var document = System.Text.Json.Nodes.JsonNode.Parse(await s.GetOkAsync("/openapi/v1.json"))!;

        var list = document["paths"]!["/v1/conferences"]!["get"]!;
        Assert.Equal("conferences.list", list["operationId"]!.GetValue<string>());
        Assert.NotNull(list["responses"]!["400"]);
        Assert.NotNull(list["responses"]!["404"]);
        var summary = document["paths"]!["/v1/conferences/duration-summary"]!["get"]!;
        Assert.Equal("conferences.duration_summary", summary["operationId"]!.GetValue<string>());
        Assert.NotNull(summary["responses"]!["404"]);
    }
}
