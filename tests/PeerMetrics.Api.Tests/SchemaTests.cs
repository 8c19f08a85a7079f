
namespace PeerMetrics.Api.Tests;

/// <summary>
/// The migrated schema must be the peermetrics schema Django's migrations create (docs/schema.md), so the service
/// can share a database with the Django API. The expectations below are typed from Django's catalog, not read from
/// our DDL.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SchemaTests(InfrastructureFixture infrastructure)
{
    private const string Tables =
        "('organization', 'app', 'conference', 'participant', 'participant_conferences', 'app_session', 'app_connection', 'app_issue')";

    private const string Uuid = "uuid|uuid|";
    private const string Int = "integer|int4|";
    private const string Bool = "boolean|bool|";
    private const string Json = "jsonb|jsonb|";
    private const string Time = "timestamp with time zone|timestamptz|";
    private static string Varchar(int length) => $"character varying|varchar|{length}";

    // table|ordinal|column|data_type|udt_name|max_length|is_nullable|default
    private static readonly string[] ExpectedColumns =
    [
        .. Table("app",
            ("id", Uuid, false), ("name", Varchar(64), false), ("api_key", Varchar(32), false), ("domain", Varchar(256), true),
            ("interval", Int, false), ("recording", Bool, false), ("durations_days", Json, true), ("created_at", Time, false),
            ("is_active", Bool, false), ("organization_id", Uuid, false)),
        .. Table("app_connection",
            ("id", Uuid, false), ("type", Varchar(1), true), ("state", Varchar(32), false), ("connection_info", Json, true),
            ("start_time", Time, true), ("end_time", Time, true), ("duration", Int, false), ("created_at", Time, false),
            ("is_active", Bool, false), ("conference_id", Uuid, false), ("participant_id", Uuid, false), ("peer_id", Uuid, false),
            ("session_id", Uuid, false)),
        .. Table("app_issue",
            ("id", Uuid, false), ("type", Varchar(1), false), ("code", Varchar(32), false), ("data", Json, true),
            ("created_at", Time, false), ("is_active", Bool, false), ("conference_id", Uuid, true), ("connection_id", Uuid, true),
            ("participant_id", Uuid, true), ("session_id", Uuid, false), ("track_id", Uuid, true)),
        .. Table("app_session",
            ("id", Uuid, false), ("constraints", Json, true), ("devices", Json, true), ("platform", Json, true),
            ("metadata", Json, true), ("geo_ip", Json, true), ("app_version", Varchar(16), true), ("webrtc_sdk", Varchar(16), true),
            ("session_info", Json, true), ("duration", Int, false), ("end_time", Time, true), ("call_start", Time, true),
            ("created_at", Time, false), ("is_active", Bool, false), ("conference_id", Uuid, false), ("participant_id", Uuid, false)),
        .. Table("conference",
            ("id", Uuid, false), ("conference_id", Varchar(64), false), ("conference_name", Varchar(64), true),
            ("conference_info", Json, true), ("start_time", Time, true), ("call_start", Time, true), ("end_time", Time, true),
            ("ongoing", Bool, false), ("duration", Int, false), ("created_at", Time, false), ("is_active", Bool, false),
            ("app_id", Uuid, false)),
        .. Table("organization",
            ("id", Uuid, false), ("name", Varchar(64), false), ("created_at", Time, false), ("is_active", Bool, false)),
        .. Table("participant",
            ("id", Uuid, false), ("participant_id", Varchar(64), false), ("participant_name", Varchar(64), true),
            ("is_sfu", Bool, false), ("created_at", Time, false), ("is_active", Bool, false), ("app_id", Uuid, false)),
        "participant_conferences|1|id|integer|int4||NO|nextval('participant_conferences_id_seq'::regclass)",
        "participant_conferences|2|participant_id|uuid|uuid||NO|",
        "participant_conferences|3|conference_id|uuid|uuid||NO|",
    ];

    private static IEnumerable<string> Table(string table, params (string Column, string Type, bool Nullable)[] columns) =>
        columns.Select((c, i) => $"{table}|{i + 1}|{c.Column}|{c.Type}|{(c.Nullable ? "YES" : "NO")}|");

    // table|kind|definition for primary keys, unique pairs, CHECK (col >= 0) and the deferrable foreign keys.
    private static readonly string[] ExpectedConstraints =
    [
        "app|f|FOREIGN KEY (organization_id) REFERENCES organization(id) DEFERRABLE INITIALLY DEFERRED",
        "app|p|PRIMARY KEY (id)",
        "app|u|UNIQUE (api_key)",
        "app_connection|c|CHECK ((duration >= 0))",
        "app_connection|f|FOREIGN KEY (conference_id) REFERENCES conference(id) DEFERRABLE INITIALLY DEFERRED",
        "app_connection|f|FOREIGN KEY (participant_id) REFERENCES participant(id) DEFERRABLE INITIALLY DEFERRED",
        "app_connection|f|FOREIGN KEY (peer_id) REFERENCES participant(id) DEFERRABLE INITIALLY DEFERRED",
        "app_connection|f|FOREIGN KEY (session_id) REFERENCES app_session(id) DEFERRABLE INITIALLY DEFERRED",
        "app_connection|p|PRIMARY KEY (id)",
        "app_issue|f|FOREIGN KEY (conference_id) REFERENCES conference(id) DEFERRABLE INITIALLY DEFERRED",
        "app_issue|f|FOREIGN KEY (connection_id) REFERENCES app_connection(id) DEFERRABLE INITIALLY DEFERRED",
        "app_issue|f|FOREIGN KEY (participant_id) REFERENCES participant(id) DEFERRABLE INITIALLY DEFERRED",
        "app_issue|f|FOREIGN KEY (session_id) REFERENCES app_session(id) DEFERRABLE INITIALLY DEFERRED",
        "app_issue|f|FOREIGN KEY (track_id) REFERENCES app_track(id) DEFERRABLE INITIALLY DEFERRED",
        "app_issue|p|PRIMARY KEY (id)",
        "app_session|c|CHECK ((duration >= 0))",
        "app_session|f|FOREIGN KEY (conference_id) REFERENCES conference(id) DEFERRABLE INITIALLY DEFERRED",
        "app_session|f|FOREIGN KEY (participant_id) REFERENCES participant(id) DEFERRABLE INITIALLY DEFERRED",
        "app_session|p|PRIMARY KEY (id)",
        "conference|c|CHECK ((duration >= 0))",
        "conference|f|FOREIGN KEY (app_id) REFERENCES app(id) DEFERRABLE INITIALLY DEFERRED",
        "conference|p|PRIMARY KEY (id)",
        "conference|u|UNIQUE (conference_id, app_id)",
        "organization|p|PRIMARY KEY (id)",
        "participant|f|FOREIGN KEY (app_id) REFERENCES app(id) DEFERRABLE INITIALLY DEFERRED",
        "participant|p|PRIMARY KEY (id)",
        "participant|u|UNIQUE (participant_id, app_id)",
        "participant_conferences|f|FOREIGN KEY (conference_id) REFERENCES conference(id) DEFERRABLE INITIALLY DEFERRED",
        "participant_conferences|f|FOREIGN KEY (participant_id) REFERENCES participant(id) DEFERRABLE INITIALLY DEFERRED",
        "participant_conferences|p|PRIMARY KEY (id)",
        "participant_conferences|u|UNIQUE (participant_id, conference_id)",
    ];

    private static readonly string[] ExpectedDashboardIndexes =
    [
        "idx_conf_app_created|CREATE INDEX idx_conf_app_created ON public.conference USING btree (app_id, created_at DESC)",
        "idx_genevent_app_created|CREATE INDEX idx_genevent_app_created ON public.app_genericevent USING btree (app_id, created_at DESC)",
        "idx_issue_conf_type|CREATE INDEX idx_issue_conf_type ON public.app_issue USING btree (conference_id, type)",
    ];

    [Fact]
    public async Task Migrated_schema_matches_the_peermetrics_columns_keys_and_dashboard_indexes()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(infrastructure.Postgres);
        await using var connection = await TestDatabase.OpenAsync(connectionString);

        var columns = await TestDatabase.RowsAsync(connection, $"""
            SELECT table_name, ordinal_position, column_name, data_type, udt_name, character_maximum_length, is_nullable, column_default
            FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name IN {Tables}
            ORDER BY table_name, ordinal_position
            """);
        var constraints = await TestDatabase.RowsAsync(connection, $"""
            SELECT conrelid::regclass::text, contype, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text IN {Tables}
            ORDER BY 1, 2, 3
            """);
        var indexes = await TestDatabase.RowsAsync(connection, """
            SELECT indexname, indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND indexname IN ('idx_conf_app_created', 'idx_issue_conf_type', 'idx_genevent_app_created')
            ORDER BY indexname
            """);

        // Compared line by line so a failure names the offending column rather than dumping two lists.
        AssertSameLines(ExpectedColumns, columns);
        AssertSameLines(ExpectedConstraints.Order(StringComparer.Ordinal), constraints.Order(StringComparer.Ordinal));
        AssertSameLines(ExpectedDashboardIndexes, indexes);
    }

    [Fact]
    public void Expected_column_table_is_not_vacuous()
    {
        // Guards the test above against an expectation list that shrank by accident.
        Assert.Equal(4 + 10 + 12 + 7 + 3 + 16 + 13 + 11, ExpectedColumns.Length);
    }

    private static void AssertSameLines(IEnumerable<string> expected, IEnumerable<string> actual)
    {
        var e = expected.ToList();
        var a = actual.ToList();
        var missing = e.Except(a).ToList();
        var unexpected = a.Except(e).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0 && e.SequenceEqual(a),
            $"Schema differs from the peermetrics schema.\nMissing:\n  {string.Join("\n  ", missing)}\nUnexpected:\n  {string.Join("\n  ", unexpected)}" +
            (missing.Count == 0 && unexpected.Count == 0 ? "\n(order differs)" : ""));
    }
}
