using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using PeerMetrics.Api.Seeding;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Seeding;

[Collection(InfrastructureCollection.Name)]
public sealed class DemoDataSeedTests(InfrastructureFixture infrastructure)
{
    private static readonly DateTime Anchor = new(2026, 3, 28, 17, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Seed_command_prints_org_apps_and_a_valid_token_and_a_rerun_gives_identical_rows()
    {
        var connectionString = await infrastructure.Postgres.CreateDatabaseAsync();

        var (exit, stdout, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.05"]);
        Assert.True(exit == 0, stderr);
        var first = await SnapshotAsync(connectionString);

        (exit, var secondStdout, stderr) = await RunSeedAsync(connectionString, ["--scale=0.05"]);
        Assert.True(exit == 0, stderr);
        var second = await SnapshotAsync(connectionString);

        Assert.Equal(first, second);

        var output = JsonDocument.Parse(LastLine(stdout)).RootElement;
        var organization = output.GetProperty("organization").GetGuid();
        var apps = output.GetProperty("apps").EnumerateArray()
            .Select(a => (Id: a.GetProperty("id").GetGuid(), Name: a.GetProperty("name").GetString(), Org: a.GetProperty("organization").GetGuid()))
            .ToList();
        Assert.Equal("wipe-and-refill", output.GetProperty("mode").GetString());
        Assert.Equal(DemoDataGenerator.AppPlans.Count, apps.Count);
        Assert.Contains(apps, a => a.Name == "Acme Telehealth" && a.Org == organization);
        Assert.True(apps.Select(a => a.Org).Distinct().Count() >= 2, "tenant tests need a second organization");

        // Same organization and apps on the rerun: ids are deterministic.
        var rerun = JsonDocument.Parse(LastLine(secondStdout)).RootElement;
        Assert.Equal(organization, rerun.GetProperty("organization").GetGuid());
        Assert.Equal(output.GetProperty("apps").GetRawText(), rerun.GetProperty("apps").GetRawText());

        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(output.GetProperty("token").GetString(),
            new TokenValidationParameters
            {
                ValidIssuer = "peermetrics",
                ValidAudience = "peermetrics-api",
                IssuerSigningKey = new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(ApiFactory.SigningKey)),
            });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        Assert.Equal(organization.ToString(), validation.Claims["org"]);
        var expires = ((JsonWebToken)validation.SecurityToken).ValidTo;
        Assert.True(expires >= DateTime.UtcNow.AddHours(24), $"token expires at {expires:O}");

        // Counts in the output are what the database holds.
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        foreach (var table in DemoDataSeeder.SeededTables)
        {
            Assert.Equal(output.GetProperty("counts").GetProperty(table).GetInt64(),
                await TestDatabase.ScalarAsync<long>(connection, $"SELECT count(*) FROM {table}"));
        }
    }

    [Fact]
    public async Task Seeded_data_contains_the_ugly_cases_the_summaries_must_survive()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var generator = new DemoDataGenerator(0.05, DemoDataGenerator.AnchorFor(DateTimeOffset.UtcNow));
        await DemoDataSeeder.SeedAsync(connection, generator, wipe: false, progress: null, CancellationToken.None);
        var dominant = generator.DominantApp.Id;

        async Task AtLeastOne(string what, string where)
        {
            var count = await TestDatabase.ScalarAsync<long>(connection, $"SELECT count(*) FROM {where}");
            Assert.True(count > 0, $"no {what}: {where}");
        }

        foreach (var table in new[] { "organization", "app", "conference", "participant", "app_session", "app_connection", "app_issue" })
        {
            await AtLeastOne($"inactive row in {table}", $"{table} WHERE NOT is_active");
        }
        await AtLeastOne("string latitude", "app_session WHERE jsonb_typeof(geo_ip) = 'object' AND jsonb_typeof(geo_ip->'latitude') = 'string'");
        await AtLeastOne("numeric latitude", "app_session WHERE jsonb_typeof(geo_ip) = 'object' AND jsonb_typeof(geo_ip->'latitude') = 'number'");
        await AtLeastOne("0/0 coordinates", "app_session WHERE geo_ip->>'latitude' = '0' AND geo_ip->>'longitude' = '0'");
        await AtLeastOne("all-null geo_ip", "app_session WHERE geo_ip = '{\"city\": null, \"latitude\": null, \"longitude\": null, \"region_code\": null, \"country_code\": null}'");
        await AtLeastOne("NULL platform", "app_session WHERE platform IS NULL");
        await AtLeastOne("empty platform", "app_session WHERE platform = '{}'");
        await AtLeastOne("string platform", "app_session WHERE jsonb_typeof(platform) = 'string'");
        await AtLeastOne("platform without browser name", "app_session WHERE platform ? 'browser' AND NOT platform->'browser' ? 'name'");
        await AtLeastOne("gum issue with string data", "app_issue WHERE code = 'getusermedia_error' AND jsonb_typeof(data) = 'string'");
        await AtLeastOne("gum issue with {} data", "app_issue WHERE code = 'getusermedia_error' AND data = '{}'");
        await AtLeastOne("gum issue with NULL data", "app_issue WHERE code = 'getusermedia_error' AND data IS NULL");
        await AtLeastOne("issue without conference", "app_issue WHERE conference_id IS NULL AND code IN ('icecandidateerror', 'turn_used')");
        await AtLeastOne("ongoing conference", $"conference WHERE ongoing AND duration = 0 AND app_id = '{dominant}'");
        await AtLeastOne("SFU participant", "participant WHERE is_sfu");
        await AtLeastOne("linked participant without session", """
            participant_conferences pc WHERE NOT EXISTS (SELECT 1 FROM app_session s
                WHERE s.participant_id = pc.participant_id AND s.conference_id = pc.conference_id)
            """);
        await AtLeastOne("connection without type", "app_connection WHERE type IS NULL");
        await AtLeastOne("non-object connection_info", "app_connection WHERE jsonb_typeof(connection_info) IN ('string', 'array')");
        await AtLeastOne("Python time with fraction",
            @"app_connection WHERE connection_info->'negotiations'->0->>'start_time' ~ '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$'");
        await AtLeastOne("ISO time", "app_connection WHERE connection_info->'negotiations'->0->>'start_time' LIKE '%T%'");
        await AtLeastOne("unparseable time", "app_connection WHERE connection_info->'negotiations'->0->>'end_time' IN ('', 'n/a')");

        // Every issue code of docs/schema.md, each always with its fixed type.
        var codes = await TestDatabase.RowsAsync(connection, "SELECT code, string_agg(DISTINCT type, ',') FROM app_issue GROUP BY code ORDER BY code");
        Assert.Equal(
            DemoCatalog.WarningCodes.Select(c => $"{c.Code}|w").Concat(DemoCatalog.ErrorCodes.Select(c => $"{c.Code}|e")).Order(StringComparer.Ordinal),
            codes);
        var gumNames = await TestDatabase.RowsAsync(connection,
            "SELECT DISTINCT data->>'name' FROM app_issue WHERE code = 'getusermedia_error' AND jsonb_typeof(data->'name') = 'string' ORDER BY 1");
        Assert.Superset(new HashSet<string>(["AbortError", "NotAllowedError", "NotFoundError", "NotReadableError", "OverconstrainedError",
            "SecurityError", "TypeError"]), gumNames.ToHashSet());

        // Every duration bucket of the summary and the four connection types in the dominant app.
        var buckets = await TestDatabase.ScalarAsync<long>(connection, $"""
            SELECT count(DISTINCT {ConferenceDurationSummary.DurationFrom})
            FROM conference c WHERE c.app_id = '{dominant}'
            """);
        Assert.Equal(ConferenceDurationSummary.Buckets.Rows.Count, buckets);
        var types = await TestDatabase.RowsAsync(connection, $"""
            SELECT DISTINCT c.type FROM app_connection c JOIN conference f ON f.id = c.conference_id
            WHERE f.app_id = '{dominant}' AND c.type IS NOT NULL ORDER BY 1
            """);
        Assert.Equal(["h", "p", "r", "s"], types);

        // "Acme Classroom" is the inactive app of the prewarmer: nothing in the last 2 days; the dominant app is busy.
        var classroom = generator.Apps.Single(a => a.Name == "Acme Classroom").Id;
        Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(connection,
            $"SELECT count(*) FROM conference WHERE app_id = '{classroom}' AND created_at > now() - interval '2 days'"));
        await AtLeastOne("recent conference of the dominant app",
            $"conference WHERE app_id = '{dominant}' AND created_at > now() - interval '1 day'");
    }

    [Fact]
    public void Row_counts_scale_with_the_scale_and_the_dominant_app_gets_18000_conferences_per_unit()
    {
        var small = Count(new DemoDataGenerator(0.05, Anchor));
        var twice = Count(new DemoDataGenerator(0.1, Anchor));

        Assert.Equal(900, small.DominantConferences);
        Assert.Equal(1800, twice.DominantConferences);
        foreach (var table in new[] { "conference", "participant", "participant_conferences", "app_session", "app_connection", "app_issue" })
        {
            var ratio = (double)twice.Rows[table] / small.Rows[table];
            Assert.InRange(ratio, 1.7, 2.3);
        }
        // ~2.1 sessions and connections per conference, as at scale 1 (38,000 per 18,000 conferences).
        Assert.InRange((double)small.Rows["app_session"] / small.Rows["conference"], 1.8, 2.6);
        Assert.InRange((double)small.Rows["app_connection"] / small.Rows["conference"], 1.6, 2.6);
    }

    [Fact]
    public void Ids_and_counts_do_not_depend_on_the_anchor_only_times_move()
    {
        var earlier = new DemoDataGenerator(0.02, Anchor).Generate().SelectMany(c => c.Conferences).ToList();
        var later = new DemoDataGenerator(0.02, Anchor.AddDays(3).AddHours(5)).Generate().SelectMany(c => c.Conferences).ToList();

        Assert.Equal(earlier.Select(c => (c.Id, c.ConferenceId, c.Duration, c.Ongoing)), later.Select(c => (c.Id, c.ConferenceId, c.Duration, c.Ongoing)));
        Assert.NotEqual(earlier.Select(c => c.CreatedAt), later.Select(c => c.CreatedAt));
        Assert.All(earlier, c => Assert.True(c.CreatedAt <= Anchor && c.CreatedAt.Kind == DateTimeKind.Utc));
    }

    [Fact]
    public async Task Without_a_signing_key_outside_development_the_seed_fails_before_touching_the_database()
    {
        var connectionString = await infrastructure.Postgres.CreateDatabaseAsync();

        var (exit, stdout, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.01"], signingKey: null, environment: "Production");

        Assert.Equal(CommandExit.Failed, exit);
        Assert.Contains("Auth:SigningKey", stderr);
        Assert.Equal("", stdout);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(connection,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"));
    }

    [Fact]
    public async Task In_development_the_seed_runs_with_the_development_signing_key_and_a_validated_container()
    {
        // Development validates every registration when the host is built, as `dotnet run -- seed` does: the
        // command must register nothing that needs the request pipeline's services (the cache).
        var connectionString = await infrastructure.Postgres.CreateDatabaseAsync();

        var (exit, stdout, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.01"], signingKey: null, environment: "Development");

        Assert.True(exit == 0, stderr);
        Assert.Contains("token", stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Seed_refuses_to_wipe_organizations_it_did_not_create_unless_forced()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using (var connection = await TestDatabase.OpenAsync(connectionString))
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO organization (id, name, created_at, is_active) VALUES (gen_random_uuid(), 'Real customer', now(), true)", connection))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var (exit, _, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.01"]);
        Assert.Equal(CommandExit.Failed, exit);
        Assert.Contains("--force", stderr);

        (exit, _, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.01", "--force"]);
        Assert.True(exit == 0, stderr);
    }

    [Fact]
    public async Task Seed_refuses_a_django_database_unless_forced()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await TestDatabase.ExecuteAsync(connectionString,
            "CREATE TABLE django_migrations (id serial PRIMARY KEY, app varchar(255), name varchar(255), applied timestamptz)");

        var (exit, stdout, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.01"]);
        Assert.Equal(CommandExit.Failed, exit);
        Assert.Equal("", stdout);
        Assert.Contains("django_migrations", stderr);
        Assert.Contains("--force", stderr);

        (exit, _, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.01", "--force"]);
        Assert.True(exit == 0, stderr);
    }

    [Fact]
    public async Task Seed_reruns_over_its_own_data_but_refuses_rows_without_its_mark()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        var (exit, _, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.01"]);
        Assert.True(exit == 0, stderr);
        (exit, _, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.01"]);
        Assert.True(exit == 0, stderr);

        // The same rows without the seed's mark: only demo ids, yet not written by the seed (e.g. a partial restore).
        await TestDatabase.ExecuteAsync(connectionString, "COMMENT ON TABLE organization IS NULL");
        var before = await SnapshotAsync(connectionString);
        (exit, _, stderr) = await RunSeedAsync(connectionString, ["--scale", "0.01"]);
        Assert.Equal(CommandExit.Failed, exit);
        Assert.Contains("did not write", stderr);
        Assert.Equal(before, await SnapshotAsync(connectionString));
    }

    [Fact]
    public async Task Api_start_up_seeds_an_empty_database_once()
    {
        var connectionString = await infrastructure.Postgres.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["Database:SeedDemoData"] = "true", ["Database:DemoDataScale"] = "0.01" };

        await using (var api = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString, settings))
        {
            api.CreateClient().Dispose(); // starts the host, which migrates and seeds
        }
        var first = await SnapshotAsync(connectionString);
        Assert.StartsWith("organization=3|", first);

        await using (var api = new ApiFactory(connectionString, infrastructure.Redis.ConnectionString, settings))
        {
            api.CreateClient().Dispose();
        }
        Assert.Equal(first, await SnapshotAsync(connectionString));
    }

    private static Task<(int Exit, string Stdout, string Stderr)> RunSeedAsync(string connectionString, string[] args,
        string? signingKey = ApiFactory.SigningKey, string environment = "Testing") =>
        ApiCommands.RunAsync([SeedCommand.Name, .. args], connectionString, signingKey, environment);

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];

    /// <summary>Per-table row count and an md5 over the ordered ids (serial ids included), in one string.</summary>
    private static async Task<string> SnapshotAsync(string connectionString)
    {
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        var parts = new List<string>();
        foreach (var table in DemoDataSeeder.SeededTables)
        {
            var key = table == "participant_conferences"
                ? "id::text || ':' || participant_id || ':' || conference_id"
                : table == "conference" ? "id::text || ':' || conference_id || ':' || duration || ':' || ongoing" : "id::text";
            parts.Add(string.Join('|', await TestDatabase.RowsAsync(connection,
                $"SELECT '{table}=' || count(*), md5(coalesce(string_agg({key}, ',' ORDER BY id), '')) FROM {table}")));
        }
        return string.Join('|', parts);
    }

    private sealed record Counts(int DominantConferences, Dictionary<string, long> Rows);

    private static Counts Count(DemoDataGenerator generator)
    {
        var rows = new Dictionary<string, long>
        {
            ["conference"] = 0, ["participant"] = 0, ["participant_conferences"] = 0, ["app_session"] = 0, ["app_connection"] = 0, ["app_issue"] = 0,
        };
        var dominant = 0;
        foreach (var chunk in generator.Generate())
        {
            rows["conference"] += chunk.Conferences.Count;
            rows["participant"] += chunk.Participants.Count;
            rows["participant_conferences"] += chunk.ParticipantConferences.Count;
            rows["app_session"] += chunk.Sessions.Count;
            rows["app_connection"] += chunk.Connections.Count;
            rows["app_issue"] += chunk.Issues.Count;
            dominant += chunk.Conferences.Count(c => c.AppId == generator.DominantApp.Id);
        }
        return new Counts(dominant, rows);
    }
}
