using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PeerMetrics.Api.Summaries;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Summaries;

/// <summary>
/// Every input gets a 4xx, never a 5xx: hand-picked edge cases and seeded random query strings over every route's
/// parameters. Each answer is either a 200 or a problem+json 4xx whose body names the same status.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class QueryParameterPropertyTests(InfrastructureFixture infrastructure)
{
    private const string ListRoute = "/v1/conferences";
    private const int RandomCases = 150;
    private const string Unknown = "5e0b6a43-9d0f-4c41-8a43-5f7b1d2c9e18";

    // What each route's parser reads, from the definitions it reads them by: a new parameter is covered at once.
    private static readonly string[] SummaryParameters = [.. SummaryRequestParser.Parameters.Select(parameter => parameter.Name)];

    private static readonly string[] ListParameters = [.. ConferenceListRequestParser.Parameters.Select(parameter => parameter.Name)];

    private static readonly string[] Dates =
    [
        "0001-01-01T00:00:00Z", "0001-01-01T00:00Z", "0001-01-01T00:00:00.0000000Z", "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-12:00", "0001-01-01T13:59+14:00", "0001-01-02T00:00:00+14:00", "0001-01-01",
        "9999-12-31T23:59Z", "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9999999-12:00",
        "9999-12-31T10:00+14:00", "9999-01-01T00:00:00Z", "9998-12-31T23:59:59.9999999Z",
        "9998-12-31T23:59:59.9999999-12:00", "9998-12-31T23:59:59.9999999+14:00", "9998-12-31T23:59Z",
        "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2000-02-29T23:59:59.9999999Z", "1900-02-29T00:00Z",
        "2026-03-28T10:00:00.1234567Z", "2026-03-28T10:00:00.12345678Z", "2026-03-28T10:00:00.1234567+05:45",
        "2026-03-28T10:00:00+15:00", "2026-03-28T10:00:00+99:99", "2026-03-28T24:00:00Z", "2026-03-28T10:60Z",
        "2026-13-01T00:00Z", "2026-00-01T00:00Z", "0000-01-01T00:00Z", "-0001-01-01T00:00Z", "10000-01-01T00:00Z",
        "+002026-03-28T10:00Z", "2026-03-28 10:00:00", "2026-03-28T10:00:00", "2026-03-28t10:00z", "28/03/2026",
        "２０２６-03-28T10:00Z", "2026-03-28T10:00:00Z\u0000", "now", "infinity", "-infinity", "epoch",
    ];

    private static readonly string[] Integers =
    [
        "0", "1", "-1", "200", "201", "2147483647", "2147483648", "-2147483648", "-2147483649",
        "9223372036854775807", "99999999999999999999999999999999", "1e3", "0x10", "+5", " 5 ", "5.0", "٣", "١٢",
        "NaN", "Infinity", "--1", "1,000",
    ];

    private static readonly string[] Garbage =
    [
        "", " ", "\t", "null", "undefined", "[]", "{}", "é", "日本語", "💥", "\u0000", "\u0001", "a\u0000b", "\u202e",
        "\uFFFD", "'; DROP TABLE conference; --", "%", "%zz", "%00", "&", "=", "\\", "\"", "<script>", "../../etc/passwd",
        "ice_failed", "tcp_used", new string('x', 5000), new string('é', 300),
    ];

    public static TheoryData<string> Routes()
    {
        var routes = new TheoryData<string>();
        foreach (var summary in SummaryCatalog.All)
        {
            routes.Add(summary.Route);
        }
        routes.Add(ListRoute);
        return routes;
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task No_query_string_gets_a_5xx(string route)
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        var conference = s.Data.Conference(s.App);
        var participant = s.Data.Participant(s.App);
        s.Data.Join(participant, conference);
        s.Data.Issue(s.Data.Session(conference, participant), "ice_failed", "e");
        var foreignApp = s.Data.App(s.Data.Organization());
        await s.SaveAsync();

        var context = new CaseContext(s.App.Id, foreignApp.Id, participant.Id, conference.Id);
        var names = route == ListRoute ? ListParameters : SummaryParameters;
        var failures = new List<string>();
        foreach (var query in EdgeCases(context, names).Concat(RandomQueries(context, names, seed: route.Sum(c => c) * 18)))
        {
            var failure = await CheckAsync(s.Client, route + query);
            if (failure is not null)
            {
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} answers broke the rule:\n{string.Join('\n', failures.Take(20))}");
    }

    [Fact]
    public async Task The_year_9999_is_a_400_not_a_500()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        await s.SaveAsync();

        foreach (var summary in SummaryCatalog.All)
        {
            await Responses.AssertProblemAsync(s.Client, $"{summary.Route}?appId={s.App.Id}&created_at_lte=9999-12-31T23:59Z",
                HttpStatusCode.BadRequest, "invalid_parameters");
            await Responses.AssertProblemAsync(s.Client, $"{summary.Route}?appId={s.App.Id}&created_at_gte=9999-12-31T23:59:59.9999999Z",
                HttpStatusCode.BadRequest, "invalid_parameters");
        }
        await Responses.AssertProblemAsync(s.Client, $"{ListRoute}?appId={s.App.Id}&created_at_lte=9999-12-31T23:59Z",
            HttpStatusCode.BadRequest, "invalid_parameters");

        // The last accepted instants at both ends still answer.
        foreach (var summary in SummaryCatalog.All)
        {
            await s.GetSummaryAsync(summary.Route,
                $"created_at_gte={Uri.EscapeDataString("0001-01-01T00:00:00Z")}&created_at_lte={Uri.EscapeDataString("9998-12-31T23:59:59.9999999Z")}");
        }
    }

    [Fact]
    public async Task Null_character_in_issue_code_is_a_400()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);

        await Responses.AssertProblemAsync(s.Client, $"{ListRoute}?issue_code=ice%00failed", HttpStatusCode.BadRequest, "invalid_parameters");
    }

    private sealed record CaseContext(Guid App, Guid ForeignApp, Guid Participant, Guid Conference);

    private static async Task<string?> CheckAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        if (status == 200)
        {
            return null;
        }
        if (status is < 400 or >= 500)
        {
            return $"{Shorten(url)} → {status} {Shorten(body)}";
        }
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{Shorten(url)} → {status} without problem+json: {Shorten(body)}";
        }
        var problem = JsonNode.Parse(body)!;
        return problem["status"]?.GetValue<int>() == status && problem["error_code"] is not null
            ? null
            : $"{Shorten(url)} → {status} with a malformed problem: {Shorten(body)}";
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>Each value alone on each parameter (with the app given, so the request reaches the database).</summary>
    private static IEnumerable<string> EdgeCases(CaseContext context, string[] names)
    {
        foreach (var name in names)
        {
            foreach (var value in ValuesFor(name, context))
            {
                yield return name == "appId" ? Query(("appId", value)) : Query(("appId", context.App.ToString()), (name, value));
            }
            // Repeated: twice the same good value, then a good and a bad one.
            var good = ValuesFor(name, context)[0];
            yield return Query(("appId", context.App.ToString()), (name, good), (name, good));
            yield return Query(("appId", context.App.ToString()), (name, good), (name, "garbage"));
        }
        // Both ends of the calendar together, either way round.
        yield return Query(("appId", context.App.ToString()), ("created_at_gte", "0001-01-01T00:00Z"), ("created_at_lte", "9998-12-31T23:59:59.9999999Z"));
        yield return Query(("appId", context.App.ToString()), ("created_at_gte", "9998-12-31T23:59:59.9999999Z"), ("created_at_lte", "0001-01-01T00:00Z"));
        yield return Query(("appId", context.App.ToString()), ("created_at_gt", "9998-12-31T23:59:59.9999999Z"), ("created_at_lt", "0001-01-01T00:00Z"));
        yield return "";
        yield return "?";
        yield return "?&&&";
        yield return "?appId";
        yield return "?=x";
        yield return $"?appId={context.App}&appId";
        yield return $"?APPID={context.App}";
        yield return $"?appId={context.App}&limit&offset";
        yield return $"?appId={context.App}%00";
        yield return $"?appId%00={context.App}";
    }

    /// <summary>Random combinations: 1 to 5 parameters (sometimes unknown ones), values from every pool.</summary>
    private static IEnumerable<string> RandomQueries(CaseContext context, string[] names, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < RandomCases; i++)
        {
            var count = random.Next(1, 6);
            var pairs = new List<(string, string)>();
            if (random.Next(4) != 0)
            {
                pairs.Add(("appId", context.App.ToString()));
            }
            for (var j = 0; j < count; j++)
            {
                var name = random.Next(10) == 0 ? Pick(random, ["format", "page", "created_at", "appid", "ordering"]) : Pick(random, names);
                var pool = random.Next(5) == 0 ? RandomPool(random, context) : ValuesFor(name, context);
                pairs.Add((name, Pick(random, pool)));
            }
            yield return Query([.. pairs]);
        }
    }

    private static string[] RandomPool(Random random, CaseContext context) => random.Next(4) switch
    {
        0 => Dates,
        1 => Integers,
        2 => [RandomDate(random), RandomDate(random)],
        _ => [.. Garbage, RandomText(random), context.ForeignApp.ToString()],
    };

    private static string[] ValuesFor(string name, CaseContext context) => name switch
    {
        "appId" => [context.App.ToString(), context.ForeignApp.ToString(), Unknown, Guid.Empty.ToString(),
            $"{{{context.App}}}", context.App.ToString("N"), context.App.ToString().ToUpperInvariant(), $" {context.App} ",
            "not-a-uuid", .. Garbage.Take(12)],
        "participantId" => [context.Participant.ToString(), Unknown, Guid.Empty.ToString(), "not-a-uuid", .. Garbage.Take(12)],
        "conference_ids" => [context.Conference.ToString(), $"{context.Conference},{Unknown}", ",,,", $"{context.Conference},x",
            string.Join(',', Enumerable.Range(0, 1001).Select(_ => Guid.Empty)), .. Garbage.Take(12)],
        "duration_gte" or "duration_lt" or "limit" or "offset" => [.. Integers, .. Garbage.Take(8)],
        "issue_code" => [.. Garbage],
        _ => [.. Dates, .. Garbage.Take(8)],
    };

    // Any date the formats accept, anywhere in 0001..9999, with any fraction width and offset.
    private static string RandomDate(Random random)
    {
        var year = random.Next(5) == 0 ? Pick(random, [1, 2, 9998, 9999, 1970, 2000, 2024]) : random.Next(1, 10000);
        var text = new StringBuilder();
        text.Append($"{year:D4}-{random.Next(1, 13):D2}-{random.Next(1, 32):D2}T{random.Next(0, 25):D2}:{random.Next(0, 61):D2}");
        if (random.Next(2) == 0)
        {
            text.Append($":{random.Next(0, 60):D2}");
            if (random.Next(2) == 0)
            {
                text.Append('.').Append(string.Concat(Enumerable.Range(0, random.Next(1, 9)).Select(_ => (char)('0' + random.Next(10)))));
            }
        }
        text.Append(random.Next(4) switch
        {
            0 => "",
            1 => "Z",
            _ => $"{(random.Next(2) == 0 ? '+' : '-')}{random.Next(0, 16):D2}:{Pick(random, [0, 30, 45, 59]):D2}",
        });
        return text.ToString();
    }

    private static string RandomText(Random random) =>
        string.Concat(Enumerable.Range(0, random.Next(0, 40)).Select(_ => random.Next(6) switch
        {
            0 => (char)random.Next(0x20, 0x7F),
            1 => (char)random.Next(0x00, 0x20),
            2 => (char)random.Next(0xA0, 0x3000),
            3 => (char)random.Next(0x4E00, 0x9FFF),
            4 => (char)random.Next(0xE000, 0xFFFE),
            _ => "0123456789-:TZ+."[random.Next(16)],
        }));

    private static T Pick<T>(Random random, IReadOnlyList<T> values) => values[random.Next(values.Count)];

    private static string Query(params (string Name, string Value)[] pairs) =>
        "?" + string.Join('&', pairs.Select(pair => $"{Uri.EscapeDataString(pair.Name)}={Uri.EscapeDataString(pair.Value)}"));
}
