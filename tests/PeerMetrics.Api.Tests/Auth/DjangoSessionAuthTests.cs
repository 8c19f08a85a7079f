using System.Net;
using System.Text.Json.Nodes;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Tests.Auth;

/// <summary>
/// Auth:DjangoSession: the web dashboard's session cookie authenticates as its user's organization, checked the
/// way Django checks it, on sessions written by real Django in both of its formats.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class DjangoSessionAuthTests(InfrastructureFixture infrastructure)
{
    private const string Route = "/v1/conferences/summary";

    [Theory]
    [InlineData(DjangoSessionFormat.Legacy)]
    [InlineData(DjangoSessionFormat.Signed)]
    public async Task A_session_reads_exactly_what_its_organizations_token_reads(DjangoSessionFormat format)
    {
        await using var s = await StartAsync();
        s.Data.Conference(s.App);
        var other = s.Data.App(s.Data.Organization());
        await s.SaveAsync();
        var user = await DjangoLogins.AddUserAsync(s.Api.ConnectionString, s.Organization.Id);
        var session = await DjangoLogins.SignInAsync(s.Api.ConnectionString, user, format);
        using var browser = SessionClient(s, session);

        var expected = await s.GetSummaryAsync(Route);
        using var own = await browser.GetAsync($"{Route}?appId={s.App.Id}");
        using var foreign = await browser.GetAsync($"{Route}?appId={other.Id}");
        using var list = await browser.GetAsync($"/v1/conferences?appId={s.App.Id}");

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        JsonAssert.Equal(expected, await own.Content.ReadAsStringAsync());
        Assert.Equal("HIT", own.Headers.GetValues("X-Cache").Single());
        // Another organization's app does not exist for this session.
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    public static TheoryData<string> Refusals() =>
    [
        "unknown", "expired", "tampered", "wrong secret", "inactive user", "user without organization",
        "inactive organization", "password changed", "no user in session",
    ];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_session_Django_would_refuse_is_a_401_problem(string refusal)
    {
        await using var s = await StartAsync();
        var inactive = s.Data.Organization(o => o.IsActive = false);
        await s.SaveAsync();
        var connection = s.Api.ConnectionString;
        var session = refusal switch
        {
            "unknown" => "abcdefghijklmnopqrstuvwxyz012345",
            "expired" => await DjangoLogins.SignInAsync(connection, await DjangoLogins.AddUserAsync(connection, s.Organization.Id),
                DjangoSessionFormat.Signed, expiresIn: TimeSpan.FromSeconds(-1)),
            "tampered" => await TamperedAsync(connection, await DjangoLogins.AddUserAsync(connection, s.Organization.Id)),
            "wrong secret" => await DjangoLogins.SignInAsync(connection, await DjangoLogins.AddUserAsync(connection, s.Organization.Id),
                DjangoSessionFormat.Signed, secretKey: "another-django-secret-key-0123456789"),
            "inactive user" => await DjangoLogins.SignInAsync(connection,
                await DjangoLogins.AddUserAsync(connection, s.Organization.Id, active: false), DjangoSessionFormat.Legacy),
            "user without organization" => await DjangoLogins.SignInAsync(connection,
                await DjangoLogins.AddUserAsync(connection, null), DjangoSessionFormat.Legacy),
            "inactive organization" => await DjangoLogins.SignInAsync(connection,
                await DjangoLogins.AddUserAsync(connection, inactive.Id), DjangoSessionFormat.Legacy),
            "password changed" => await DjangoLogins.SignInAsync(connection,
                await DjangoLogins.AddUserAsync(connection, s.Organization.Id, password: "pbkdf2_sha256$260000$new$changed="),
                DjangoSessionFormat.Signed),
            "no user in session" => await DjangoLogins.AddSessionAsync(connection,
                await DjangoSessions.EncodeAsync(new JsonObject { ["django_language"] = "en" }, DjangoLogins.SecretKey,
                    DjangoSessionFormat.Signed), TimeSpan.FromDays(1)),
            _ => throw new ArgumentOutOfRangeException(nameof(refusal)),
        };
        using var browser = SessionClient(s, session);

        await Responses.AssertProblemAsync(browser, $"{Route}?appId={s.App.Id}", HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_bearer_token_wins_over_a_session_cookie()
    {
        await using var s = await StartAsync();
        var otherOrganization = s.Data.Organization();
        var otherApp = s.Data.App(otherOrganization);
        await s.SaveAsync();
        var session = await DjangoLogins.SignInAsync(s.Api.ConnectionString,
            await DjangoLogins.AddUserAsync(s.Api.ConnectionString, otherOrganization.Id), DjangoSessionFormat.Legacy);
        using var both = SessionClient(s, session);
        both.DefaultRequestHeaders.Authorization = s.Client.DefaultRequestHeaders.Authorization;

        using var own = await both.GetAsync($"{Route}?appId={s.App.Id}");
        using var sessions = await both.GetAsync($"{Route}?appId={otherApp.Id}");

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, sessions.StatusCode);
    }

    [Fact]
    public async Task Without_a_secret_key_the_cookie_is_ignored()
    {
        await using var s = await SummaryScenario.StartAsync(infrastructure);
        await s.SaveAsync();
        var session = await DjangoLogins.SignInAsync(s.Api.ConnectionString,
            await DjangoLogins.AddUserAsync(s.Api.ConnectionString, s.Organization.Id), DjangoSessionFormat.Legacy);
        using var browser = SessionClient(s, session);

        using var response = await browser.GetAsync($"{Route}?appId={s.App.Id}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_logout_stops_access_once_the_remembered_check_lapses()
    {
        await using var s = await StartAsync(TimeSpan.FromSeconds(1));
        await s.SaveAsync();
        var session = await DjangoLogins.SignInAsync(s.Api.ConnectionString,
            await DjangoLogins.AddUserAsync(s.Api.ConnectionString, s.Organization.Id), DjangoSessionFormat.Signed);
        using var browser = SessionClient(s, session);
        using var signedIn = await browser.GetAsync($"{Route}?appId={s.App.Id}");

        // Django's logout() deletes the row.
        await TestDatabase.ExecuteAsync(s.Api.ConnectionString, $"DELETE FROM django_session WHERE session_key = '{session}'");
        using var remembered = await browser.GetAsync($"{Route}?appId={s.App.Id}");
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 50 && statuses.LastOrDefault() != HttpStatusCode.Unauthorized; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
            using var later = await browser.GetAsync($"{Route}?appId={s.App.Id}");
            statuses.Add(later.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, remembered.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, statuses.Last());
    }

    [Fact]
    public async Task With_sessions_on_the_start_requires_djangos_session_table()
    {
        var database = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await TestDatabase.ExecuteAsync(database, "DROP TABLE django_session");
        var settings = DjangoLogins.Settings();
        settings["Database:ApplyMigrations"] = "false";
        await using var api = new ApiFactory(database, infrastructure.Redis.ConnectionString, settings);

        // In-process the factory only sees the host go away; the host logs why.
        Assert.ThrowsAny<Exception>(api.StartServer);

        var logged = Assert.Single(api.Logs.GetSnapshot(), log => log.Exception is DatabaseSchemaException);
        Assert.Equal(["table django_session is missing"], ((DatabaseSchemaException)logged.Exception!).Problems);
    }

    private Task<SummaryScenario> StartAsync(TimeSpan? rememberFor = null) =>
        SummaryScenario.StartAsync(infrastructure, DjangoLogins.Settings(rememberFor));

    private static HttpClient SessionClient(SummaryScenario s, string sessionKey)
    {
        var client = s.Api.Factory.CreateClient();
        client.DefaultRequestHeaders.Add("Cookie", $"pmsession={sessionKey}");
        return client;
    }

    // Real Django's data with one character of its payload changed.
    private static async Task<string> TamperedAsync(string connection, Guid user)
    {
        var key = await DjangoLogins.SignInAsync(connection, user, DjangoSessionFormat.Signed);
        await TestDatabase.ExecuteAsync(connection,
            $"UPDATE django_session SET session_data = overlay(session_data placing (CASE WHEN substr(session_data, 5, 1) = 'A' THEN 'B' ELSE 'A' END) from 5 for 1) WHERE session_key = '{key}'");
        return key;
    }
}
