using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Summaries;

[Collection(InfrastructureCollection.Name)]
public sealed class ConferencesSummaryTests(InfrastructureFixture infrastructure)
{
    private static DateTime At(int day, int hour, int minute = 0, int second = 0) =>
        new(2026, 3, day, hour, minute, second, DateTimeKind.Utc);

    [Theory, BothSources]
    public async Task Status_by_utc_day_with_ongoing_first_then_error_then_warning(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        var app = s.App;
        var person = s.Data.Participant(app);

        // 20 March 23:30 UTC is 21 March in +02:00, but days are UTC days.
        var late = s.Data.Conference(app, c => c.CreatedAt = At(20, 23, 30));
        var ongoingWithError = s.Data.Conference(app, c => { c.CreatedAt = At(21, 0, 10); c.Ongoing = true; });
        var error = s.Data.Conference(app, c => c.CreatedAt = At(21, 9));
        var warning = s.Data.Conference(app, c => c.CreatedAt = At(21, 10));
        var inactiveErrorOnly = s.Data.Conference(app, c => c.CreatedAt = At(21, 11));
        // Its only error issue was created long after the window: it still decides the status.
        var errorOutsideWindow = s.Data.Conference(app, c => c.CreatedAt = At(21, 12));
        s.Data.Conference(app, c => c.CreatedAt = At(21, 13));
        s.Data.Conference(app, c => { c.CreatedAt = At(21, 14); c.IsActive = false; });
        s.Data.Conference(s.Data.App(s.Organization), c => c.CreatedAt = At(21, 15));

        var sessions = new[] { late, ongoingWithError, error, warning, inactiveErrorOnly, errorOutsideWindow }
            .ToDictionary(c => c, c => s.Data.Session(c, person));
        s.Data.Issue(sessions[late], "tcp_used", "w");
        s.Data.Issue(sessions[ongoingWithError], "ice_failed", "e");
        s.Data.Issue(sessions[error], "ice_failed", "e");
        s.Data.Issue(sessions[error], "tcp_used", "w");
        s.Data.Issue(sessions[warning], "tcp_used", "w");
        s.Data.Issue(sessions[inactiveErrorOnly], "ice_failed", "e", i => i.IsActive = false);
        s.Data.Issue(sessions[errorOutsideWindow], "ice_failed", "e", i => i.CreatedAt = At(30, 12));
        await s.SaveAsync();

        var body = await s.GetSummaryAsync("/v1/conferences/summary",
            "created_at_gte=2026-03-20T00:00:00Z&created_at_lte=2026-03-21T23:59:00Z");

        JsonAssert.Equal("""
            {"data":[
              {"date":"2026-03-20","success":0,"warning":1,"error":0,"ongoing":0,"total":1},
              {"date":"2026-03-21","success":2,"warning":1,"error":2,"ongoing":1,"total":6}
            ]}
            """, body);
    }

    [Theory, BothSources]
    public async Task Equivalent_instants_with_Z_and_an_offset_select_the_same_conferences(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        s.Data.Conference(s.App, c => c.CreatedAt = At(21, 9, 59, 59));
        s.Data.Conference(s.App, c => c.CreatedAt = At(21, 10));
        s.Data.Conference(s.App, c => c.CreatedAt = At(21, 11, 0, 59));
        s.Data.Conference(s.App, c => c.CreatedAt = At(21, 11, 1));
        await s.SaveAsync();

        var utc = await s.GetSummaryAsync("/v1/conferences/summary", "created_at_gte=2026-03-21T10:00:00Z&created_at_lte=2026-03-21T11:00:00Z");
        var offset = await s.GetSummaryAsync("/v1/conferences/summary",
            "created_at_gte=2026-03-21T12:00:00%2B02:00&created_at_lte=2026-03-21T13:00:00.000%2B02:00");

        const string expected = """{"data":[{"date":"2026-03-21","success":2,"warning":0,"error":0,"ongoing":0,"total":2}]}""";
        JsonAssert.Equal(expected, utc);
        JsonAssert.Equal(expected, offset);
    }

    [Theory, BothSources]
    public async Task Window_bounds_are_floored_to_the_minute_and_lte_covers_its_whole_minute(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        s.Data.Conference(s.App, c => c.CreatedAt = At(21, 11, 59, 59));
        s.Data.Conference(s.App, c => c.CreatedAt = At(21, 12, 0, 10));
        s.Data.Conference(s.App, c => c.CreatedAt = At(21, 12, 5, 50));
        s.Data.Conference(s.App, c => c.CreatedAt = At(21, 12, 6));
        await s.SaveAsync();

        var body = await s.GetSummaryAsync("/v1/conferences/summary",
            "created_at_gte=2026-03-21T12:00:30Z&created_at_lte=2026-03-21T12:05:10Z");

        JsonAssert.Equal("""{"data":[{"date":"2026-03-21","success":2,"warning":0,"error":0,"ongoing":0,"total":2}]}""", body);
    }

    [Theory, BothSources]
    public async Task No_conferences_is_an_empty_list(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        await s.SaveAsync();

        JsonAssert.Equal("""{"data":[]}""", await s.GetSummaryAsync("/v1/conferences/summary"));
    }

    [Theory, BothSources]
    public async Task Durations_fill_all_twelve_buckets_with_edges_in_the_upper_bucket(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        foreach (var duration in new[] { 0, 59, 60, 179, 180, 3599, 3600, 100000 })
        {
            s.Data.Conference(s.App, c => c.Duration = duration);
        }
        s.Data.Conference(s.App, c => { c.Ongoing = true; c.Duration = 0; });
        s.Data.Conference(s.App, c => { c.Duration = 59; c.IsActive = false; });
        s.Data.Conference(s.App, c => { c.Duration = 10; c.CreatedAt = At(1, 0); });
        await s.SaveAsync();

        var body = await s.GetSummaryAsync("/v1/conferences/duration-summary", "created_at_gte=2026-03-28T00:00:00Z");

        JsonAssert.Equal("""
            {"data":[
              {"range":"< 1 m","min_sec":0,"max_sec":60,"count":3},
              {"range":"1 - 3 m","min_sec":60,"max_sec":180,"count":2},
              {"range":"3 - 5 m","min_sec":180,"max_sec":300,"count":1},
              {"range":"5 - 10 m","min_sec":300,"max_sec":600,"count":0},
              {"range":"10 - 15 m","min_sec":600,"max_sec":900,"count":0},
              {"range":"15 - 20 m","min_sec":900,"max_sec":1200,"count":0},
              {"range":"20 - 25 m","min_sec":1200,"max_sec":1500,"count":0},
              {"range":"25 - 30 m","min_sec":1500,"max_sec":1800,"count":0},
              {"range":"30 - 40 m","min_sec":1800,"max_sec":2400,"count":0},
              {"range":"40 - 50 m","min_sec":2400,"max_sec":3000,"count":0},
              {"range":"50 - 60 m","min_sec":3000,"max_sec":3600,"count":1},
              {"range":"> 60 m","min_sec":3600,"max_sec":null,"count":2}
            ]}
            """, body);
    }

    [Theory, BothSources]
    public async Task Durations_of_an_app_without_conferences_are_all_zero(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        await s.SaveAsync();

        var body = await s.GetSummaryAsync("/v1/conferences/duration-summary");

        Assert.Contains("""{"range":"> 60 m","min_sec":3600,"max_sec":null,"count":0}""", body);
        Assert.Equal(12, System.Text.Json.Nodes.JsonNode.Parse(body)!["data"]!.AsArray().Count);
        Assert.DoesNotContain("\"count\":1", body);
    }

    [Theory, BothSources]
    public async Task Participant_counts_only_active_non_sfu_participants_with_a_session_there(SummarySource source)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure, source);
        var app = s.App;
        var alice = s.Data.Participant(app);
        var bob = s.Data.Participant(app);
        var sfu = s.Data.Participant(app, p => p.IsSfu = true);
        var gone = s.Data.Participant(app, p => p.IsActive = false);
        var lurker = s.Data.Participant(app);

        // Two present (Bob's only session is inactive: sessions only prove presence, is_active not checked);
        // the SFU, the inactive participant and the one without a session there do not count.
        var busy = s.Data.Conference(app);
        foreach (var p in new[] { alice, bob, sfu, gone, lurker })
        {
            s.Data.Join(p, busy);
        }
        s.Data.Session(busy, alice);
        s.Data.Session(busy, alice);
        s.Data.Session(busy, bob, x => x.IsActive = false);
        s.Data.Session(busy, sfu);
        s.Data.Session(busy, gone);

        // Lurker has a session elsewhere, but not in this conference.
        var lurked = s.Data.Conference(app);
        s.Data.Join(lurker, lurked);
        s.Data.Join(alice, lurked);
        s.Data.Session(lurked, alice);
        var other = s.Data.Conference(app);
        s.Data.Session(other, lurker);

        // A session without the participant_conferences link does not count either.
        s.Data.Conference(app, c => c.Ongoing = true);
        s.Data.Conference(app, c => c.IsActive = false);
        await s.SaveAsync();

        var body = await s.GetSummaryAsync("/v1/conferences/participant-count-summary");

        JsonAssert.Equal("""
            {"data":[{"participants":0,"conferences":2},{"participants":1,"conferences":1},{"participants":2,"conferences":1}],
             "total_conferences":4}
            """, body);
    }
}
