using System.Text.Json;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Summaries;

[Collection(InfrastructureCollection.Name)]
public sealed class ConnectionsSummaryTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private SummaryScenario? _scenario;
    private HttpClient _client = null!;
    private TestData _data = null!;
    private App _app = null!;
    private Conference _conference = null!;
    private Session _session = null!;
    private Participant _peer = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(SummarySource source)
    {
        _scenario = await SummaryScenario.StartAsync(infrastructure, source);
        (_data, _app, _client) = (_scenario.Data, _scenario.App, _scenario.Client);
        _conference = _data.Conference(_app);
        var participant = _data.Participant(_app);
        _peer = _data.Participant(_app);
        _session = _data.Session(_conference, participant);
    }

    public async Task DisposeAsync() => await (_scenario?.DisposeAsync() ?? ValueTask.CompletedTask);

    private string Url(string route, string extra = "") => $"/v1/connections/{route}?appId={_app.Id}{extra}";

    private Connection AddConnection(Action<Connection> configure) => _data.Connection(_session, _peer, configure);

    // A connection_info whose first negotiation has these fields (null → JSON null).
    private static string Negotiation(object? start, object? end, string status = "connected") =>
        JsonSerializer.Serialize(new
        {
            detected_tcp = false,
            detected_turn = false,
            negotiations = new object[] { new { type = "initial", status, start_time = start, end_time = end, duration = 1 } },
        });

    private Connection AddTimed(Conference conference, string start, string end, string status = "connected")
    {
        var session = _data.Session(conference, _peer);
        return _data.Connection(session, _peer, c => c.ConnectionInfo = Negotiation(start, end, status));
    }

    // --- /v1/connections/summary ---

    [Theory, BothSources]
    public async Task Summary_counts_relayed_and_every_other_type_as_direct_and_skips_null_types(SummarySource source)
    {
        await StartAsync(source);
        foreach (var type in new[] { "h", "s", "p", "x" })
        {
            AddConnection(c => c.Type = type);
        }
        AddConnection(c => c.Type = "r");
        AddConnection(c => c.Type = "r");
        AddConnection(c => c.Type = null);
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url("summary"),
            """{"data":[{"name":"Direct","count":4},{"name":"Relayed","count":2}]}""");
    }

    [Theory, BothSources]
    public async Task Summary_counts_only_active_connections_of_the_app_whatever_the_conference_state(SummarySource source)
    {
        await StartAsync(source);
        AddConnection(c => c.Type = "h");
        AddConnection(c => { c.Type = "h"; c.IsActive = false; });
        // A soft-deleted parent conference does not hide its active connections (as in the peermetrics API).
        var inactiveConference = _data.Conference(_app, c => c.IsActive = false);
        _data.Connection(_data.Session(inactiveConference, _peer), _peer, c => c.Type = "r");
        // Another app of the same organization.
        var other = _data.Conference(_data.App(_data.Organization()));
        _data.Connection(_data.Session(other, _peer), _peer, c => c.Type = "h");
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url("summary"),
            """{"data":[{"name":"Direct","count":1},{"name":"Relayed","count":1}]}""");
    }

    [Theory, BothSources]
    public async Task Summary_of_an_app_without_connections_lists_both_rows_with_zero(SummarySource source)
    {
        await StartAsync(source);
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url("summary"),
            """{"data":[{"name":"Direct","count":0},{"name":"Relayed","count":0}]}""");
    }

    [Theory, BothSources]
    public async Task Summary_window_applies_to_the_connection_created_at_and_equal_instants_give_equal_bodies(SummarySource source)
    {
        await StartAsync(source);
        var start = new DateTime(2026, 3, 28, 11, 0, 0, DateTimeKind.Utc);
        AddConnection(c => { c.Type = "h"; c.CreatedAt = start.AddSeconds(-1); });
        AddConnection(c => { c.Type = "h"; c.CreatedAt = start; });
        AddConnection(c => { c.Type = "r"; c.CreatedAt = start.AddMinutes(30); });
        // lte 11:30 covers the whole minute 11:30; 11:31 is out.
        AddConnection(c => { c.Type = "r"; c.CreatedAt = start.AddMinutes(30).AddSeconds(59); });
        AddConnection(c => { c.Type = "r"; c.CreatedAt = start.AddMinutes(31); });
        await _scenario!.SaveAsync();

        const string expected = """{"data":[{"name":"Direct","count":1},{"name":"Relayed","count":2}]}""";
        await JsonAssert.OkBodyAsync(_client, Url("summary", "&created_at_gte=2026-03-28T11:00:00Z&created_at_lte=2026-03-28T11:30:00Z"), expected);
        await JsonAssert.OkBodyAsync(_client,
            Url("summary", "&created_at_gte=2026-03-28T13:00:00%2B02:00&created_at_lte=2026-03-28T13:30:00%2B02:00"), expected);
    }

    // --- /v1/connections/setup-time-summary ---

    // The contract's buckets, copied on purpose: the oracle of the expected bodies below (the product's table is
    // ConnectionSetupTimeSummary.Buckets). The tests place their setup times by these literal bounds, so a changed
    // bound in the product fails them.
    private static readonly (string Range, int Min, int? Max)[] Buckets =
    [
        ("< 250 ms", 0, 250), ("250 - 500 ms", 250, 500), ("500 - 750 ms", 500, 750), ("750 - 1000 ms", 750, 1000),
        ("1000 - 1500 ms", 1000, 1500), ("1500 - 2000 ms", 1500, 2000), ("2000 - 2500 ms", 2000, 2500),
        ("2500 - 3000 ms", 2500, 3000), ("3000 - 4000 ms", 3000, 4000), ("4000 - 5000 ms", 4000, 5000),
        ("> 5000 ms", 5000, null),
    ];

    // The expected body: all eleven buckets, the given ones filled (conference ids as given, already sorted).
    private static string SetupTimeBody(params (int Bucket, int Count, Guid[] ConferenceIds)[] filled) =>
        JsonSerializer.Serialize(new
        {
            data = Buckets.Select((b, i) =>
            {
                var hit = filled.FirstOrDefault(f => f.Bucket == i);
                return new
                {
                    range = b.Range, min_ms = b.Min, max_ms = b.Max, count = hit.Count,
                    conference_ids = hit.ConferenceIds ?? [],
                };
            }),
        });

    private static Guid[] Sorted(params Conference[] conferences) =>
        conferences.Select(c => c.Id).OrderBy(id => id.ToString(), StringComparer.Ordinal).ToArray();

    [Theory, BothSources]
    public async Task Setup_time_buckets_by_exact_milliseconds_with_naive_and_offset_times(SummarySource source)
    {
        await StartAsync(source);
        var a = _data.Conference(_app);
        var b = _data.Conference(_app);
        // 249.999 ms and 249 ms (start without fraction): "< 250 ms"; conference a listed once.
        AddTimed(a, "2024-01-15 10:30:00.000000", "2024-01-15 10:30:00.249999");
        AddTimed(a, "2024-01-15 10:30:00", "2024-01-15 10:30:00.249000");
        // Exactly 250 ms starts the next bucket.
        AddTimed(b, "2024-01-15 10:30:00.500000", "2024-01-15 10:30:00.750000");
        // Offset start vs naive (UTC) end: 12:30+02:00 is 10:30Z, so 600 ms.
        AddTimed(b, "2024-01-15T12:30:00+02:00", "2024-01-15 10:30:00.600000");
        // 'Z' and a fraction of three digits: 1200 ms.
        AddTimed(a, "2024-01-15T10:30:00Z", "2024-01-15T10:30:01.2Z");
        // "+0200" and a negative offset: 7 s, and exactly 5000 ms, both in the last bucket.
        AddTimed(a, "2024-01-15T12:30:00+0200", "2024-01-15T10:30:07Z");
        AddTimed(b, "2024-01-15 05:30:00-05:00", "2024-01-15 10:30:05");
        // Zero is a valid setup time.
        AddTimed(b, "2024-01-15 10:30:00", "2024-01-15 10:30:00");
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url("setup-time-summary"), SetupTimeBody(
            (0, 3, Sorted(a, b)),
            (1, 1, [b.Id]),
            (2, 1, [b.Id]),
            (4, 1, [a.Id]),
            (10, 2, Sorted(a, b))));
    }

    public static TheoryData<string, string?> SkippedConnectionInfos => new()
    {
        { "status stable", Negotiation("2024-01-15 10:30:00", "2024-01-15 10:30:00.1", "stable") },
        { "status failed", Negotiation("2024-01-15 10:30:00", "2024-01-15 10:30:00.1", "failed") },
        { "status Connected", Negotiation("2024-01-15 10:30:00", "2024-01-15 10:30:00.1", "Connected") },
        { "negative", Negotiation("2024-01-15 10:30:01", "2024-01-15 10:30:00") },
        { "empty start", Negotiation("", "2024-01-15 10:30:00") },
        { "n/a end", Negotiation("2024-01-15 10:30:00", "n/a") },
        { "null end", Negotiation("2024-01-15 10:30:00", null) },
        { "number start", Negotiation(1705314600, "2024-01-15 10:30:00") },
        { "February 30", Negotiation("2024-02-30 10:00:00", "2024-02-30 10:00:01") },
        { "month 13", Negotiation("2024-13-01 10:00:00", "2024-13-01 10:00:01") },
        { "hour 24", Negotiation("2024-01-15 24:00:00", "2024-01-15 24:00:01") },
        { "second 60", Negotiation("2024-01-15 10:00:00", "2024-01-15 10:00:60") },
        { "year 0", Negotiation("0000-01-15 10:00:00", "0000-01-15 10:00:01") },
        { "offset out of range", Negotiation("2024-01-15 10:00:00+16:00", "2024-01-15 10:00:01+16:00") },
        { "date only", Negotiation("2024-01-15", "2024-01-16") },
        { "unpadded", Negotiation("2024-1-5 1:02:03", "2024-1-5 1:02:04") },
        { "trailing text", Negotiation("2024-01-15 10:00:00 x", "2024-01-15 10:00:01") },
        { "connection_info string", "\"connected\"" },
        { "connection_info array", "[" + Negotiation("2024-01-15 10:30:00", "2024-01-15 10:30:00.1") + "]" },
        { "connection_info JSON null", "null" },
        { "connection_info SQL NULL", null },
        { "negotiations empty", """{"negotiations":[]}""" },
        { "negotiations object", """{"negotiations":{"status":"connected"}}""" },
        { "first negotiation not an object", """{"negotiations":["connected"]}""" },
        {
            "only a later negotiation connected",
            """{"negotiations":[{"status":"stable","start_time":"2024-01-15 10:30:00","end_time":"2024-01-15 10:30:01"},{"status":"connected","start_time":"2024-01-15 10:30:00","end_time":"2024-01-15 10:30:00.1"}]}"""
        },
    };

    public static TheoryData<SummarySource, string, string?> SkippedConnectionInfosOnBothSources =>
        BothSourcesAttribute.Cross(SkippedConnectionInfos);

    [Theory]
    [MemberData(nameof(SkippedConnectionInfosOnBothSources))]
    public async Task Setup_time_skips_a_connection_that_has_no_valid_first_negotiation(SummarySource source, string reason, string? connectionInfo)
    {
        await StartAsync(source);
        Assert.NotNull(reason);
        AddTimed(_conference, "2024-01-15 10:30:00", "2024-01-15 10:30:00.3");
        AddConnection(c => c.ConnectionInfo = connectionInfo);
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url("setup-time-summary"), SetupTimeBody((1, 1, [_conference.Id])));
    }

    [Theory, BothSources]
    public async Task Setup_time_counts_only_active_connections_in_the_window(SummarySource source)
    {
        await StartAsync(source);
        var at = new DateTime(2026, 3, 28, 11, 0, 0, DateTimeKind.Utc);
        AddTimed(_conference, "2024-01-15 10:30:00", "2024-01-15 10:30:00.3").CreatedAt = at;
        AddTimed(_conference, "2024-01-15 10:30:00", "2024-01-15 10:30:00.3").CreatedAt = at.AddMinutes(-1);
        var deleted = AddTimed(_conference, "2024-01-15 10:30:00", "2024-01-15 10:30:00.3");
        deleted.CreatedAt = at;
        deleted.IsActive = false;
        await _scenario!.SaveAsync();

        var expected = SetupTimeBody((1, 1, [_conference.Id]));
        await JsonAssert.OkBodyAsync(_client, Url("setup-time-summary", "&created_at_gte=2026-03-28T11:00:00Z"), expected);
        await JsonAssert.OkBodyAsync(_client, Url("setup-time-summary", "&created_at_gte=2026-03-28T13:00:00%2B02:00"), expected);
    }

    [Theory, BothSources]
    public async Task Setup_time_of_an_app_without_connections_lists_all_buckets_empty(SummarySource source)
    {
        await StartAsync(source);
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url("setup-time-summary"), SetupTimeBody());
    }
}
