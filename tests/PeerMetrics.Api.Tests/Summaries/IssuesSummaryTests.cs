using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Summaries;

[Collection(InfrastructureCollection.Name)]
public sealed class IssuesSummaryTests(InfrastructureFixture infrastructure)
{
    private static readonly DateTime Now = TestData.Now;

    [Theory, BothSources]
    public async Task Issues_by_code_count_desc_then_code_with_titles(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        var person = s.Data.Participant(s.App);
        var conference = s.Data.Conference(s.App);
        // The parent conference's is_active is not checked.
        var deleted = s.Data.Conference(s.App, c => c.IsActive = false);
        var session = s.Data.Session(conference, person);
        var deletedSession = s.Data.Session(deleted, person);

        s.Data.Issue(session, "tcp_used", "w");
        s.Data.Issue(deletedSession, "tcp_used", "w");
        s.Data.Issue(session, "ice_failed", "e");
        s.Data.Issue(session, "ice_failed", "e");
        s.Data.Issue(session, "brand_new_code", "w");
        s.Data.Issue(session, "brand_new_code", "w");
        s.Data.Issue(session, "low_emos", "w");
        s.Data.Issue(session, "low_emos", "w", i => i.IsActive = false);
        // The window applies to the issue's own created_at.
        s.Data.Issue(session, "low_emos", "w", i => i.CreatedAt = Now.AddDays(-2));
        // Issues without a conference belong to no app.
        s.Data.Issue(session, "turn_used", "w", i => i.ConferenceId = null);
        var other = s.Data.Conference(s.Data.App(s.Organization));
        s.Data.Issue(s.Data.Session(other, person), "no_connection", "e");
        await s.SaveAsync();

        var body = await s.GetSummaryAsync("/v1/issues/summary", "created_at_gte=2026-03-28T00:00:00Z");

        JsonAssert.Equal("""
            {"data":[
              {"code":"brand_new_code","title":"brand_new_code","count":2},
              {"code":"ice_failed","title":"Connection could not be established","count":2},
              {"code":"tcp_used","title":"Media sent over TCP","count":2},
              {"code":"low_emos","title":"Participant had a less than ideal experience","count":1}
            ]}
            """, body);
    }

    [Theory, BothSources]
    public async Task Gum_errors_by_name_skip_non_objects_and_empty_objects(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        var person = s.Data.Participant(s.App);
        var session = s.Data.Session(s.Data.Conference(s.App), person);
        void Gum(string? data, Action<PeerMetrics.Api.Data.Issue>? configure = null) =>
            s.Data.Issue(session, "getusermedia_error", "w", i => { i.Data = data; configure?.Invoke(i); });

        // NotAllowedError: the first non-empty string message by created_at, then id.
        var early = Now.AddMinutes(-10);
        Gum("""{"name":"NotAllowedError"}""", i => i.CreatedAt = early.AddMinutes(-1));
        Gum("""{"name":"NotAllowedError","message":""}""", i => i.CreatedAt = early.AddMinutes(-1));
        Gum("""{"name":"NotAllowedError","message":42}""", i => i.CreatedAt = early.AddMinutes(-1));
        Gum("""{"name":"NotAllowedError","message":"second by id"}""", i => { i.CreatedAt = early; i.Id = Guid.Parse("ffffffff-0000-0000-0000-000000000000"); });
        Gum("""{"name":"NotAllowedError","message":"first by id"}""", i => { i.CreatedAt = early; i.Id = Guid.Parse("00000000-0000-0000-0000-00000000000f"); });
        Gum("""{"name":"NotAllowedError","message":"later"}""");
        Gum("""{"name":"NotAllowedError","message":"Earliest but inactive"}""", i => { i.CreatedAt = early.AddMinutes(-5); i.IsActive = false; });
        // Unknown: missing, empty or non-string names; no message anywhere → "".
        Gum("""{"message":""}""");
        Gum("""{"name":""}""");
        Gum("""{"name":7}""");
        Gum("""{"name":null}""");
        Gum("""{"name":"NotFoundError","message":"Requested device not found"}""");
        Gum("""{"name":"AbortError","message":"a"}""");
        // Skipped: not an object, or an empty object, or SQL NULL; and other codes.
        Gum("\"malformed\"");
        Gum("[1,2]");
        Gum("12");
        Gum("{}");
        Gum(null);
        s.Data.Issue(session, "no_media_access", "e", i => i.Data = """{"name":"NotAllowedError"}""");
        await s.SaveAsync();

        var body = await s.GetSummaryAsync("/v1/issues/gum-summary");

        JsonAssert.Equal("""
            {"data":[
              {"name":"NotAllowedError","message":"first by id","count":6},
              {"name":"Unknown","message":"","count":4},
              {"name":"AbortError","message":"a","count":1},
              {"name":"NotFoundError","message":"Requested device not found","count":1}
            ],"total":12}
            """, body);
    }

    [Theory, BothSources]
    public async Task Gum_summary_of_an_app_without_errors_is_empty(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        await s.SaveAsync();

        JsonAssert.Equal("""{"data":[],"total":0}""", await s.GetSummaryAsync("/v1/issues/gum-summary"));
        JsonAssert.Equal("""{"data":[]}""", await s.GetSummaryAsync("/v1/issues/summary"));
    }
}
