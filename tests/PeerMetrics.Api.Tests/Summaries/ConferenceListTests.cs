using System.Net;
using System.Text.Json.Nodes;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Tests.Summaries;

[Collection(InfrastructureCollection.Name)]
public sealed class ConferenceListTests(InfrastructureFixture infrastructure)
{
    private static DateTime At(int hour, int minute = 0, int second = 0) =>
        new(2026, 3, 21, hour, minute, second, DateTimeKind.Utc);

    private static string[] Ids(string body, string list = "data") =>
        JsonNode.Parse(body)![list]!.AsArray().Select(row => row!["conference_id"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Row_has_every_field_with_naive_utc_times_and_present_participants()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        var conference = s.Data.Conference(s.App, c =>
        {
            c.Id = Guid.Parse("11111111-1111-1111-1111-111111111111");
            c.ConferenceId = "room-1";
            c.ConferenceName = "Daily";
            c.ConferenceInfo = """{"topic":"standup","n":[1,2]}""";
            c.StartTime = At(9, 0, 0).AddTicks(1234560);
            c.CallStart = At(9, 0, 5);
            c.EndTime = null;
            c.Ongoing = true;
            c.Duration = 0;
            c.CreatedAt = At(9);
        });
        var alice = s.Data.Participant(s.App);
        var sfu = s.Data.Participant(s.App, p => p.IsSfu = true);
        var absent = s.Data.Participant(s.App);
        s.Data.Join(alice, conference);
        s.Data.Join(sfu, conference);
        s.Data.Join(absent, conference);
        var session = s.Data.Session(conference, alice);
        s.Data.Session(conference, sfu);
        s.Data.Issue(session, "tcp_used", "w");
        s.Data.Issue(session, "ice_failed", "e", i => i.IsActive = false);
        await s.SaveAsync();

        var body = await s.GetOkAsync($"/v1/conferences?appId={s.App.Id}");

        JsonAssert.Equal($$"""
            {"data":[{
              "id":"11111111-1111-1111-1111-111111111111","conference_id":"room-1","conference_name":"Daily",
              "conference_info":{"n":[1,2],"topic":"standup"},
              "start_time":"2026-03-21 09:00:00.123456","call_start":"2026-03-21 09:00:05.000000","end_time":null,
              "ongoing":true,"duration":0,"app":"{{s.App.Id}}","created_at":"2026-03-21 09:00:00.000000",
              "has_errors":false,"has_warnings":true,"participants_count":1
            }]}
            """, body);
    }

    [Fact]
    public async Task Filters_combine_and_order_is_created_at_then_id()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        var person = s.Data.Participant(s.App);
        var tieB = s.Data.Conference(s.App, c => { c.ConferenceId = "tie-b"; c.CreatedAt = At(10); c.Duration = 60; c.Id = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000000"); });
        var tieA = s.Data.Conference(s.App, c => { c.ConferenceId = "tie-a"; c.CreatedAt = At(10); c.Duration = 60; c.Id = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000000"); });
        var early = s.Data.Conference(s.App, c => { c.ConferenceId = "early"; c.CreatedAt = At(9); c.Duration = 59; });
        var late = s.Data.Conference(s.App, c => { c.ConferenceId = "late"; c.CreatedAt = At(11); c.Duration = 120; });
        s.Data.Conference(s.App, c => { c.ConferenceId = "deleted"; c.CreatedAt = At(10); c.IsActive = false; });
        s.Data.Join(person, early);
        s.Data.Join(person, late);
        await s.SaveAsync();
        var app = s.App.Id;

        Assert.Equal(["early", "tie-a", "tie-b", "late"], Ids(await s.GetOkAsync($"/v1/conferences?appId={app}")));
        Assert.Equal(["tie-a", "tie-b"], Ids(await s.GetOkAsync($"/v1/conferences?appId={app}&duration_gte=60&duration_lt=120")));
        Assert.Equal(["early", "late"], Ids(await s.GetOkAsync($"/v1/conferences?participantId={person.Id}")));
        // Exact instants, not the summaries' minute rule; offsets are converted to UTC.
        Assert.Equal(["tie-a", "tie-b"], Ids(await s.GetOkAsync($"/v1/conferences?appId={app}&created_at_gt=2026-03-21T09:00:00Z&created_at_lt=2026-03-21T13:00:00%2B02:00")));
        Assert.Equal(["early", "tie-a", "tie-b"], Ids(await s.GetOkAsync($"/v1/conferences?appId={app}&created_at_gte=2026-03-21T09:00:00Z&created_at_lte=2026-03-21T10:00:00Z")));
        Assert.Equal(["early"], Ids(await s.GetOkAsync($"/v1/conferences?appId={app}&created_at_lte=2026-03-21T09:59:59.999Z")));
        Assert.Equal(["tie-a", "late"], Ids(await s.GetOkAsync($"/v1/conferences?conference_ids={late.Id},{tieA.Id},{Guid.NewGuid()}")));
        _ = tieB;
    }

    [Fact]
    public async Task Issue_code_lists_each_conference_once_and_ignores_inactive_issues()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        var person = s.Data.Participant(s.App);
        var many = s.Data.Conference(s.App, c => { c.ConferenceId = "many"; c.CreatedAt = At(9); });
        var inactive = s.Data.Conference(s.App, c => { c.ConferenceId = "inactive"; c.CreatedAt = At(10); });
        var otherCode = s.Data.Conference(s.App, c => { c.ConferenceId = "other-code"; c.CreatedAt = At(11); });
        var session = s.Data.Session(many, person);
        s.Data.Issue(session, "ice_failed", "e");
        s.Data.Issue(session, "ice_failed", "e");
        s.Data.Issue(s.Data.Session(many, person), "ice_failed", "e");
        s.Data.Issue(s.Data.Session(inactive, person), "ice_failed", "e", i => i.IsActive = false);
        s.Data.Issue(s.Data.Session(otherCode, person), "tcp_used", "w");
        await s.SaveAsync();

        var body = await s.GetOkAsync($"/v1/conferences?appId={s.App.Id}&issue_code=ice_failed&limit=10");

        Assert.Equal(["many"], Ids(body, "results"));
        Assert.Equal(1, JsonNode.Parse(body)!["count"]!.GetValue<long>());
        Assert.True(JsonNode.Parse(body)!["results"]![0]!["has_errors"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Pagination_is_opt_in_clamped_and_counts_all_matches()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        for (var i = 0; i < 205; i++)
        {
            var n = i;
            s.Data.Conference(s.App, c => { c.ConferenceId = $"c{n:D3}"; c.CreatedAt = At(0).AddMinutes(n); });
        }
        await s.SaveAsync();
        var url = $"/v1/conferences?appId={s.App.Id}";

        var all = JsonNode.Parse(await s.GetOkAsync(url))!.AsObject();
        Assert.Equal(["data"], all.Select(p => p.Key));
        Assert.Equal(205, all["data"]!.AsArray().Count);

        var firstPage = JsonNode.Parse(await s.GetOkAsync($"{url}&offset=0"))!.AsObject();
        Assert.Equal(["results", "count"], firstPage.Select(p => p.Key));
        Assert.Equal(50, firstPage["results"]!.AsArray().Count);
        Assert.Equal(205, firstPage["count"]!.GetValue<long>());

        var body = await s.GetOkAsync($"{url}&limit=0&offset=3");
        Assert.Equal(["c003"], Ids(body, "results"));
        Assert.Equal(200, JsonNode.Parse(await s.GetOkAsync($"{url}&limit=500"))!["results"]!.AsArray().Count);
        Assert.Equal(["c203", "c204"], Ids(await s.GetOkAsync($"{url}&limit=5&offset=203"), "results"));
        JsonAssert.Equal("""{"results":[],"count":205}""", await s.GetOkAsync($"{url}&limit=5&offset=1000"));
        JsonAssert.Equal("""{"results":[],"count":0}""", await s.GetOkAsync($"{url}&limit=5&duration_gte=1"));
    }

    [Theory]
    [InlineData("limit=abc", "invalid_parameters")]
    [InlineData("limit=1.5", "invalid_parameters")]
    [InlineData("offset=-1", "invalid_parameters")]
    [InlineData("offset=x", "invalid_parameters")]
    [InlineData("duration_gte=ten", "invalid_parameters")]
    [InlineData("created_at_gt=yesterday", "invalid_parameters")]
    [InlineData("participantId=42", "invalid_parameters")]
    [InlineData("conference_ids=11111111-1111-1111-1111-111111111111,nope", "invalid_parameters")]
    public async Task Bad_parameters_are_400(string query, string errorCode)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        await s.SaveAsync();

        await Responses.AssertProblemAsync(s.Client, $"/v1/conferences?appId={s.App.Id}&{query}", HttpStatusCode.BadRequest, errorCode);
    }

    [Fact]
    public async Task More_than_1000_conference_ids_is_400_and_1000_is_fine()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        await s.SaveAsync();
        string IdList(int n) => string.Join(',', Enumerable.Range(0, n).Select(_ => Guid.NewGuid()));

        await Responses.AssertProblemAsync(s.Client, $"/v1/conferences?conference_ids={IdList(1001)}", HttpStatusCode.BadRequest, "invalid_parameters");
        JsonAssert.Equal("""{"data":[]}""", await s.GetOkAsync($"/v1/conferences?conference_ids={IdList(1000)}"));
    }

    [Fact]
    public async Task No_filter_is_400_missing_parameters_even_with_pagination()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        await s.SaveAsync();

        await Responses.AssertProblemAsync(s.Client, "/v1/conferences", HttpStatusCode.BadRequest, "missing_parameters");
        await Responses.AssertProblemAsync(s.Client, "/v1/conferences?limit=10&offset=0&appId=", HttpStatusCode.BadRequest, "missing_parameters");
    }

    [Fact]
    public async Task Another_organizations_app_is_404_and_without_appId_only_own_apps_are_listed()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        var otherOrganization = s.Data.Organization();
        var foreignApp = s.Data.App(otherOrganization);
        var foreign = s.Data.Conference(foreignApp, c => c.ConferenceId = "foreign");
        var mine = s.Data.Conference(s.App, c => c.ConferenceId = "mine");
        var secondApp = s.Data.App(s.Organization);
        var mineToo = s.Data.Conference(secondApp, c => { c.ConferenceId = "mine-too"; c.CreatedAt = TestData.Now.AddMinutes(1); });
        await s.SaveAsync();

        await Responses.AssertProblemAsync(s.Client, $"/v1/conferences?appId={foreignApp.Id}", HttpStatusCode.NotFound, "app_not_found");
        await Responses.AssertProblemAsync(s.Client, $"/v1/conferences?appId={Guid.NewGuid()}", HttpStatusCode.NotFound, "app_not_found");
        Assert.Equal(["mine", "mine-too"],
            Ids(await s.GetOkAsync($"/v1/conferences?conference_ids={foreign.Id},{mine.Id},{mineToo.Id}")));
    }
}
