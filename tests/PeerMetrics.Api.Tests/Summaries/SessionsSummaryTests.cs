using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Summaries;

[Collection(InfrastructureCollection.Name)]
public sealed class SessionsSummaryTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private SummaryScenario? _scenario;
    private HttpClient _client = null!;
    private TestData _data = null!;
    private App _app = null!;
    private Conference _conference = null!;
    private Participant _participant = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(SummarySource source)
    {
        _scenario = await SummaryScenario.StartAsync(infrastructure, source);
        (_data, _app, _client) = (_scenario.Data, _scenario.App, _scenario.Client);
        _conference = _data.Conference(_app);
        _participant = _data.Participant(_app);
    }

    public async Task DisposeAsync() => await (_scenario?.DisposeAsync() ?? ValueTask.CompletedTask);

    private string Url(string extra = "") => $"/v1/sessions/summary?appId={_app.Id}{extra}";

    private Session AddSession(string? platform = null, string? geoIp = null, Action<Session>? configure = null) =>
        _data.Session(_conference, _participant, s =>
        {
            s.Platform = platform;
            s.GeoIp = geoIp;
            configure?.Invoke(s);
        });

    private static string Platform(string browser, string os) =>
        "{\"ua\":\"Mozilla/5.0\",\"browser\":" + browser + ",\"os\":" + os + ",\"device\":{}}";

    private static string Geo(string country, string city, string latitude, string longitude) =>
        "{\"country_code\":" + country + ",\"region_code\":\"\",\"city\":" + city + ",\"latitude\":" + latitude
        + ",\"longitude\":" + longitude + "}";

    [Theory, BothSources]
    public async Task Browsers_and_os_come_from_non_empty_platform_objects_with_unknown_for_unusable_names(SummarySource source)
    {
        await StartAsync(source);
        AddSession(Platform("""{"name":"Chrome","version":"120"}""", """{"name":"Windows"}"""));
        AddSession(Platform("""{"name":"Chrome"}""", """{"name":"Mac OS"}"""));
        AddSession(Platform("""{"name":"Firefox"}""", """{"name":"Linux"}"""));
        // Missing name, empty name, non-string name, browser not an object: all "Unknown".
        AddSession(Platform("{}", """{"name":""}"""));
        AddSession(Platform("""{"name":""}""", """{"name":5}"""));
        AddSession(Platform("""{"name":5}""", """{"version":"10"}"""));
        AddSession(Platform("\"Chrome\"", "[\"Linux\"]"));
        // Not counted at all: no platform, a non-object platform, an empty object.
        AddSession(platform: null);
        AddSession(platform: "\"Chrome\"");
        AddSession(platform: "[{\"browser\":{\"name\":\"Chrome\"}}]");
        AddSession(platform: "{}");
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url(), """
            {"browsers":[{"name":"Unknown","count":4},{"name":"Chrome","count":2},{"name":"Firefox","count":1}],
             "os":[{"name":"Unknown","count":4},{"name":"Linux","count":1},{"name":"Mac OS","count":1},{"name":"Windows","count":1}],
             "countries":[],"cities":[]}
            """);
    }

    [Theory, BothSources]
    public async Task Ties_are_broken_by_name_in_ordinal_order(SummarySource source)
    {
        await StartAsync(source);
        foreach (var name in new[] { "edge", "Edge", "Zebra", "Arc", "Arc" })
        {
            AddSession(Platform($$"""{"name":"{{name}}"}""", """{"name":"Windows"}"""));
        }
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url(), """
            {"browsers":[{"name":"Arc","count":2},{"name":"Edge","count":1},{"name":"Zebra","count":1},{"name":"edge","count":1}],
             "os":[{"name":"Windows","count":5}],"countries":[],"cities":[]}
            """);
    }

    [Theory, BothSources]
    public async Task Countries_skip_null_empty_and_non_string_codes(SummarySource source)
    {
        await StartAsync(source);
        AddSession(geoIp: Geo("\"US\"", "null", "null", "null"));
        AddSession(geoIp: Geo("\"US\"", "null", "null", "null"));
        AddSession(geoIp: Geo("\"DE\"", "null", "null", "null"));
        AddSession(geoIp: Geo("\"AT\"", "null", "null", "null"));
        AddSession(geoIp: Geo("null", "null", "null", "null"));
        AddSession(geoIp: Geo("\"\"", "null", "null", "null"));
        AddSession(geoIp: Geo("5", "null", "null", "null"));
        AddSession(geoIp: "\"US\"");
        AddSession(geoIp: "[{\"country_code\":\"US\"}]");
        AddSession(geoIp: "{}");
        AddSession(geoIp: null);
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url(), """
            {"browsers":[],"os":[],
             "countries":[{"code":"US","count":2},{"code":"AT","count":1},{"code":"DE","count":1}],
             "cities":[]}
            """);
    }

    [Theory, BothSources]
    public async Task Cities_need_two_parseable_coordinates_not_both_zero(SummarySource source)
    {
        await StartAsync(source);
        // Numeric strings (App Engine headers) and JSON numbers (ipstack) both parse.
        AddSession(geoIp: Geo("\"US\"", "\"San Jose\"", "\"37.342\"", "\"-121.9\""));
        AddSession(geoIp: Geo("\"DE\"", "\"Berlin\"", "52.52", "13.405"));
        // "0"/"5" is a real place; "0"/"0" means unknown.
        AddSession(geoIp: Geo("\"GH\"", "\"Accra-ish\"", "\"0\"", "\"5\""));
        AddSession(geoIp: Geo("\"XX\"", "\"Nowhere\"", "\"0\"", "\"0\""));
        AddSession(geoIp: Geo("\"XX\"", "\"Nowhere\"", "0", "0.0"));
        // Unparseable or missing coordinates, empty or non-string city: not counted as a city.
        AddSession(geoIp: Geo("\"XX\"", "\"Bad\"", "\"abc\"", "\"5\""));
        AddSession(geoIp: Geo("\"XX\"", "\"Bad\"", "\"\"", "\"5\""));
        AddSession(geoIp: Geo("\"XX\"", "\"Bad\"", "null", "\"5\""));
        AddSession(geoIp: Geo("\"XX\"", "\"Bad\"", "\"NaN\"", "\"5\""));
        AddSession(geoIp: Geo("\"XX\"", "\"Bad\"", "[1]", "\"5\""));
        AddSession(geoIp: """{"country_code":"XX","city":"Bad","longitude":5}""");
        // Exponents are numbers too (the slower jsonpath path); out-of-range values are not.
        AddSession(geoIp: Geo("\"XX\"", "\"Exp\"", "\"3.7e1\"", "\"-1.2e2\""));
        AddSession(geoIp: Geo("\"XX\"", "\"Bad\"", "\"1e999\"", "\"5\""));
        AddSession(geoIp: Geo("\"XX\"", "\"Bad\"", "1" + new string('0', 400), "5"));
        AddSession(geoIp: Geo("\"XX\"", "\"\"", "1", "2"));
        AddSession(geoIp: Geo("\"XX\"", "7", "1", "2"));
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url(), """
            {"browsers":[],"os":[],
             "countries":[{"code":"XX","count":13},{"code":"DE","count":1},{"code":"GH","count":1},{"code":"US","count":1}],
             "cities":[{"city":"Accra-ish","latitude":0,"longitude":5,"count":1},
                       {"city":"Berlin","latitude":52.52,"longitude":13.405,"count":1},
                       {"city":"Exp","latitude":37,"longitude":-120,"count":1},
                       {"city":"San Jose","latitude":37.342,"longitude":-121.9,"count":1}]}
            """);
    }

    [Theory, BothSources]
    public async Task A_city_takes_the_coordinates_of_its_earliest_counted_session(SummarySource source)
    {
        await StartAsync(source);
        var at = TestData.Now;
        // Earliest overall, but its coordinates do not parse, so it is not counted.
        AddSession(geoIp: Geo("\"US\"", "\"Springfield\"", "\"n/a\"", "\"1\""), configure: s => s.CreatedAt = at.AddHours(-2));
        AddSession(geoIp: Geo("\"US\"", "\"Springfield\"", "3", "3"), configure: s => s.CreatedAt = at.AddHours(1));
        // Same created_at: the lower id wins.
        AddSession(geoIp: Geo("\"US\"", "\"Springfield\"", "2", "2"), configure: s =>
        {
            s.CreatedAt = at;
            s.Id = Guid.Parse("ffffffff-0000-0000-0000-000000000000");
        });
        AddSession(geoIp: Geo("\"US\"", "\"Springfield\"", "\"1.5\"", "\"1.25\""), configure: s =>
        {
            s.CreatedAt = at;
            s.Id = Guid.Parse("00000000-0000-0000-0000-00000000000f");
        });
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url(), """
            {"browsers":[],"os":[],"countries":[{"code":"US","count":4}],
             "cities":[{"city":"Springfield","latitude":1.5,"longitude":1.25,"count":3}]}
            """);
    }

    [Theory, BothSources]
    public async Task Only_active_sessions_of_the_app_in_the_window_count_whatever_the_conference_state(SummarySource source)
    {
        await StartAsync(source);
        var at = new DateTime(2026, 3, 28, 11, 0, 0, DateTimeKind.Utc);
        var chrome = Platform("""{"name":"Chrome"}""", """{"name":"Windows"}""");
        AddSession(chrome, configure: s => s.CreatedAt = at);
        AddSession(chrome, configure: s => s.CreatedAt = at.AddSeconds(-1));
        AddSession(chrome, configure: s => { s.CreatedAt = at; s.IsActive = false; });
        var inactiveConference = _data.Conference(_app, c => c.IsActive = false);
        _data.Session(inactiveConference, _participant, s => { s.CreatedAt = at; s.Platform = chrome; });
        var other = _data.Conference(_data.App(_data.Organization()));
        _data.Session(other, _participant, s => { s.CreatedAt = at; s.Platform = chrome; });
        await _scenario!.SaveAsync();

        const string expected = """
            {"browsers":[{"name":"Chrome","count":2}],"os":[{"name":"Windows","count":2}],"countries":[],"cities":[]}
            """;
        await JsonAssert.OkBodyAsync(_client, Url("&created_at_gte=2026-03-28T11:00:00Z"), expected);
        await JsonAssert.OkBodyAsync(_client, Url("&created_at_gte=2026-03-28T13:00:00%2B02:00"), expected);
    }

    [Theory, BothSources]
    public async Task An_app_without_sessions_has_empty_lists(SummarySource source)
    {
        await StartAsync(source);
        await _scenario!.SaveAsync();

        await JsonAssert.OkBodyAsync(_client, Url(), """{"browsers":[],"os":[],"countries":[],"cities":[]}""");
    }
}
