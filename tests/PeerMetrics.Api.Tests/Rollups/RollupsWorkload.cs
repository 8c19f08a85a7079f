using Npgsql;
using NpgsqlTypes;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>
/// Random writes of every kind the rollups must follow, shaped like Django's (one small transaction each):
/// inserts, full-row updates of every summary-relevant column, soft deletes and reactivations, participant
/// flips, links added and removed, rows moved between conferences and apps, created_at moved, hard deletes,
/// COPY and INSERT … SELECT. Row ids are picked from a snapshot taken per round, so some target rows that
/// another writer deleted meanwhile (0 rows) or break a deferred foreign key at commit (rolled back).
/// </summary>
internal sealed class RollupsWorkload(Random random, RollupsWorkload.Snapshot rows)
{
    public sealed record Snapshot(
        Guid[] Apps, (Guid Id, Guid App)[] Conferences, (Guid Id, Guid App)[] Participants, (Guid Participant, Guid Conference)[] Links,
        (Guid Id, Guid Conference, Guid Participant)[] Sessions, Guid[] Connections, Guid[] Issues, DateTime From, DateTime Until)
    {
        public static async Task<Snapshot> ReadAsync(NpgsqlConnection connection, Guid[] apps)
        {
            async Task<List<T>> Read<T>(string sql, Func<NpgsqlDataReader, T> map)
            {
                await using var command = new NpgsqlCommand(sql, connection);
                command.Parameters.AddWithValue("apps", apps);
                await using var reader = await command.ExecuteReaderAsync();
                var list = new List<T>();
                while (await reader.ReadAsync())
                {
                    list.Add(map(reader));
                }
                return list;
            }
            var conferences = await Read("SELECT id, app_id FROM conference WHERE app_id = ANY(@apps) ORDER BY id", r => (r.GetGuid(0), r.GetGuid(1)));
            var participants = await Read("SELECT id, app_id FROM participant WHERE app_id = ANY(@apps) ORDER BY id", r => (r.GetGuid(0), r.GetGuid(1)));
            var links = await Read("""
                SELECT pc.participant_id, pc.conference_id FROM participant_conferences pc
                JOIN conference c ON c.id = pc.conference_id WHERE c.app_id = ANY(@apps) ORDER BY pc.id
                """, r => (r.GetGuid(0), r.GetGuid(1)));
            var sessions = await Read("""
                SELECT s.id, s.conference_id, s.participant_id FROM app_session s JOIN conference c ON c.id = s.conference_id
                WHERE c.app_id = ANY(@apps) ORDER BY s.id
                """, r => (r.GetGuid(0), r.GetGuid(1), r.GetGuid(2)));
            var connections = await Read("""
                SELECT x.id FROM app_connection x JOIN conference c ON c.id = x.conference_id WHERE c.app_id = ANY(@apps) ORDER BY x.id
                """, r => r.GetGuid(0));
            var issues = await Read("""
                SELECT i.id FROM app_issue i JOIN conference c ON c.id = i.conference_id WHERE c.app_id = ANY(@apps) ORDER BY i.id
                """, r => r.GetGuid(0));
            var range = await Read("SELECT min(created_at), max(created_at) FROM conference WHERE app_id = ANY(@apps)",
                r => (r.GetDateTime(0), r.GetDateTime(1)));
            return new Snapshot(apps, [.. conferences], [.. participants], [.. links], [.. sessions], [.. connections], [.. issues],
                range[0].Item1, range[0].Item2);
        }
    }

    private static readonly string?[] Platforms =
    [
        """{"browser": {"name": "Chrome", "version": "120"}, "os": {"name": "Windows"}}""",
        """{"browser": {"name": "Firefox"}, "os": {"name": "Linux"}}""",
        """{"browser": {"name": ""}, "os": {"name": 7}}""",
        """{"browser": {}}""", "{}", null, "\"a string\"", "[1, 2]",
    ];

    private static readonly string?[] GeoIps =
    [
        """{"city": "Paris", "country_code": "FR", "latitude": 48.8566, "longitude": 2.3522}""",
        """{"city": "Paris", "country_code": "FR", "latitude": 48.9, "longitude": 2.4}""",
        """{"city": "Mountain View", "country_code": "US", "latitude": "37.342", "longitude": "-122.0"}""",
        """{"city": "Null Island", "country_code": "XX", "latitude": 0, "longitude": 0}""",
        """{"city": "Odd", "country_code": "", "latitude": "1e2", "longitude": "n/a"}""",
        """{"city": null, "latitude": null, "longitude": null, "region_code": null, "country_code": null}""",
        """{"city": "Lyon", "country_code": "FR", "latitude": 45.76, "longitude": 4.83}""",
        null, "[]", "\"x\"",
    ];

    private static readonly string?[] IssueData =
    [
        """{"name": "NotAllowedError", "message": "Permission denied"}""",
        """{"name": "NotAllowedError", "message": "Denied by user"}""",
        """{"name": "NotFoundError"}""", """{"name": "", "message": ""}""", """{"message": "no name"}""",
        "{}", null, "\"malformed\"", """{"name": 5, "message": ["x"]}""",
    ];

    private static readonly (string Code, string Type)[] IssueCodes =
    [
        ("getusermedia_error", "w"), ("getusermedia_error", "w"), ("low_emos", "w"), ("very_low_emos", "e"), ("ice_failed", "e"),
        ("tcp_used", "w"), ("connection_failed", "e"),
    ];

    private static readonly string?[] ConnectionTypes = ["h", "s", "p", "r", "r", null];

    public async Task RunOneAsync(NpgsqlConnection connection)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        var op = random.Next(22);
        switch (op)
        {
            case 0 or 1:
                await InsertConferenceAsync(connection, transaction);
                break;
            case 2:
                await ExecuteAsync(connection, transaction, "UPDATE conference SET duration = @d, ongoing = @o WHERE id = @id",
                    ("d", random.Next(0, 5000)), ("o", random.Next(4) == 0), ("id", Pick(rows.Conferences).Id));
                break;
            case 3:
                await ExecuteAsync(connection, transaction, "UPDATE conference SET created_at = @t WHERE id = @id",
                    ("t", Time()), ("id", Pick(rows.Conferences).Id));
                break;
            case 4:
                await ExecuteAsync(connection, transaction, "UPDATE conference SET is_active = NOT is_active WHERE id = @id",
                    ("id", Pick(rows.Conferences).Id));
                break;
            case 5:
                // A full-row rewrite of the connection, as Django saves it: one more negotiation, or a new first one.
                await ExecuteAsync(connection, transaction, random.Next(2) == 0
                        ? """
                          UPDATE app_connection SET connection_info = jsonb_set(coalesce(CASE WHEN jsonb_typeof(connection_info) = 'object'
                              THEN connection_info END, '{"negotiations": []}'), '{negotiations}',
                              coalesce(CASE WHEN jsonb_typeof(connection_info -> 'negotiations') = 'array' THEN connection_info -> 'negotiations' END, '[]')
                              || jsonb_build_array(@n::jsonb)), type = @type, state = 'connected' WHERE id = @id
                          """
                        : "UPDATE app_connection SET connection_info = @info::jsonb, type = @type WHERE id = @id",
                    ("n", Negotiation()), ("info", ConnectionInfo()), ("type", (object?)Pick(ConnectionTypes) ?? DBNull.Value),
                    ("id", Pick(rows.Connections)));
                break;
            case 6:
                await ExecuteAsync(connection, transaction, "UPDATE app_session SET platform = @p::jsonb, geo_ip = @g::jsonb WHERE id = @id",
                    ("p", (object?)Pick(Platforms) ?? DBNull.Value), ("g", (object?)Pick(GeoIps) ?? DBNull.Value), ("id", Pick(rows.Sessions).Id));
                break;
            case 7:
                await InsertIssueAsync(connection, transaction, Pick(rows.Sessions));
                break;
            case 8:
                var (code, type) = Pick(IssueCodes);
                await ExecuteAsync(connection, transaction, "UPDATE app_issue SET code = @c, type = @t, data = @d::jsonb WHERE id = @id",
                    ("c", code), ("t", type), ("d", (object?)Pick(IssueData) ?? DBNull.Value), ("id", Pick(rows.Issues)));
                break;
            case 9:
                var table = Pick<string>(["app_issue", "app_session", "app_connection"]);
                var id = table switch { "app_issue" => Pick(rows.Issues), "app_session" => Pick(rows.Sessions).Id, _ => Pick(rows.Connections) };
                await ExecuteAsync(connection, transaction, $"UPDATE {table} SET is_active = NOT is_active WHERE id = @id", ("id", id));
                break;
            case 10:
                // An issue or a session moved to another conference (possibly of another app).
                var target = Pick(rows.Conferences).Id;
                if (random.Next(2) == 0)
                {
                    await ExecuteAsync(connection, transaction, "UPDATE app_issue SET conference_id = @c WHERE id = @id",
                        ("c", target), ("id", Pick(rows.Issues)));
                }
                else
                {
                    await ExecuteAsync(connection, transaction, "UPDATE app_session SET conference_id = @c WHERE id = @id",
                        ("c", target), ("id", Pick(rows.Sessions).Id));
                }
                break;
            case 11:
                var moved = Pick<string>(["app_issue", "app_session", "app_connection"]);
                var movedId = moved switch { "app_issue" => Pick(rows.Issues), "app_session" => Pick(rows.Sessions).Id, _ => Pick(rows.Connections) };
                await ExecuteAsync(connection, transaction, $"UPDATE {moved} SET created_at = @t WHERE id = @id", ("t", Time()), ("id", movedId));
                break;
            case 12:
                await ExecuteAsync(connection, transaction, random.Next(2) == 0
                        ? "UPDATE participant SET is_active = NOT is_active WHERE id = @id"
                        : "UPDATE participant SET is_sfu = NOT is_sfu WHERE id = @id",
                    ("id", Pick(rows.Participants).Id));
                break;
            case 13:
                var conference = Pick(rows.Conferences);
                var participant = Pick(rows.Participants);
                await ExecuteAsync(connection, transaction,
                    "INSERT INTO participant_conferences (participant_id, conference_id) VALUES (@p, @c) ON CONFLICT DO NOTHING",
                    ("p", participant.Id), ("c", conference.Id));
                if (random.Next(2) == 0)
                {
                    await InsertSessionAsync(connection, transaction, conference.Id, participant.Id);
                }
                break;
            case 14:
                var link = Pick(rows.Links);
                await ExecuteAsync(connection, transaction, "DELETE FROM participant_conferences WHERE participant_id = @p AND conference_id = @c",
                    ("p", link.Participant), ("c", link.Conference));
                break;
            case 15:
                // A session proving presence of a linked participant, or a session deleted.
                if (random.Next(2) == 0)
                {
                    var linked = Pick(rows.Links);
                    await InsertSessionAsync(connection, transaction, linked.Conference, linked.Participant);
                }
                else
                {
                    var session = Pick(rows.Sessions).Id;
                    await ExecuteAsync(connection, transaction, """
                        DELETE FROM app_issue WHERE session_id = @id;
                        DELETE FROM app_connection WHERE session_id = @id;
                        DELETE FROM app_session WHERE id = @id;
                        """, ("id", session));
                }
                break;
            case 16:
                // Hard delete of a conference and everything under it, children first or the conference first.
                var doomed = Pick(rows.Conferences).Id;
                var children = """
                    DELETE FROM app_issue WHERE conference_id = @id;
                    DELETE FROM app_connection WHERE conference_id = @id;
                    DELETE FROM app_session WHERE conference_id = @id;
                    DELETE FROM participant_conferences WHERE conference_id = @id;
                    """;
                await ExecuteAsync(connection, transaction, random.Next(2) == 0
                    ? children + "DELETE FROM conference WHERE id = @id;"
                    : "DELETE FROM conference WHERE id = @id;" + children, ("id", doomed));
                break;
            case 17:
                // INSERT … SELECT: copies of a conference's issues, new ids, another minute.
                await ExecuteAsync(connection, transaction, """
                    INSERT INTO app_issue (id, type, code, data, created_at, is_active, conference_id, connection_id, participant_id, session_id, track_id)
                    SELECT gen_random_uuid(), type, code, data, created_at + make_interval(mins => @m), is_active, conference_id, NULL, participant_id, session_id, NULL
                    FROM app_issue WHERE conference_id = @c
                    """, ("m", random.Next(-90, 90)), ("c", Pick(rows.Conferences).Id));
                break;
            case 18:
                await CopySessionsAsync(connection, Pick(rows.Links));
                break;
            case 19:
                // A conference moved to another app: all its rows follow it.
                await ExecuteAsync(connection, transaction, "UPDATE conference SET app_id = @a WHERE id = @id",
                    ("a", Pick(rows.Apps)), ("id", Pick(rows.Conferences).Id));
                break;
            case 20:
                // Django's full-row save of a conference that changes nothing the summaries read.
                await ExecuteAsync(connection, transaction, "UPDATE conference SET conference_name = @n, duration = duration WHERE id = @id",
                    ("n", $"n{random.Next(1000)}"), ("id", Pick(rows.Conferences).Id));
                break;
            default:
                var s = Pick(rows.Sessions);
                await InsertConnectionAsync(connection, transaction, s.Conference, s.Participant, s.Id);
                break;
        }
        await transaction.CommitAsync();
    }

    private async Task InsertConferenceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        var app = Pick(rows.Apps);
        var id = Guid.NewGuid();
        var created = Time();
        await ExecuteAsync(connection, transaction, """
            INSERT INTO conference (id, conference_id, conference_name, conference_info, start_time, call_start, end_time, ongoing, duration, created_at, is_active, app_id)
            VALUES (@id, @cid, NULL, '{}', NULL, NULL, NULL, @o, @d, @t, @a, @app)
            """, ("id", id), ("cid", id.ToString("N")), ("o", random.Next(5) == 0), ("d", random.Next(0, 4000)), ("t", created),
            ("a", random.Next(10) != 0), ("app", app));
        var participants = rows.Participants.Where(p => p.App == app).ToArray();
        for (var i = 0; i < random.Next(0, 4) && participants.Length > 0; i++)
        {
            var participant = Pick(participants).Id;
            await ExecuteAsync(connection, transaction,
                "INSERT INTO participant_conferences (participant_id, conference_id) VALUES (@p, @c) ON CONFLICT DO NOTHING",
                ("p", participant), ("c", id));
            if (random.Next(4) != 0)
            {
                var session = await InsertSessionAsync(connection, transaction, id, participant);
                if (random.Next(2) == 0)
                {
                    await InsertConnectionAsync(connection, transaction, id, participant, session);
                }
                if (random.Next(2) == 0)
                {
                    await InsertIssueAsync(connection, transaction, (session, id, participant));
                }
            }
        }
    }

    private async Task<Guid> InsertSessionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid conference, Guid participant)
    {
        var id = Guid.NewGuid();
        await ExecuteAsync(connection, transaction, """
            INSERT INTO app_session (id, constraints, devices, platform, metadata, geo_ip, app_version, webrtc_sdk, session_info, duration, end_time, call_start, created_at, is_active, conference_id, participant_id)
            VALUES (@id, '{}', '[]', @p::jsonb, '{}', @g::jsonb, NULL, NULL, '{}', 0, NULL, NULL, @t, @a, @c, @pa)
            """, ("id", id), ("p", (object?)Pick(Platforms) ?? DBNull.Value), ("g", (object?)Pick(GeoIps) ?? DBNull.Value), ("t", Time()),
            ("a", random.Next(8) != 0), ("c", conference), ("pa", participant));
        return id;
    }

    private async Task InsertConnectionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid conference, Guid participant, Guid session) =>
        await ExecuteAsync(connection, transaction, """
            INSERT INTO app_connection (id, type, state, connection_info, start_time, end_time, duration, created_at, is_active, conference_id, participant_id, peer_id, session_id)
            VALUES (@id, @type, 'connected', @info::jsonb, NULL, NULL, 0, @t, @a, @c, @p, @p, @s)
            """, ("id", Guid.NewGuid()), ("type", (object?)Pick(ConnectionTypes) ?? DBNull.Value), ("info", ConnectionInfo()), ("t", Time()),
            ("a", random.Next(8) != 0), ("c", conference), ("p", participant), ("s", session));

    private async Task InsertIssueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, (Guid Id, Guid Conference, Guid Participant) session)
    {
        var (code, type) = Pick(IssueCodes);
        await ExecuteAsync(connection, transaction, """
            INSERT INTO app_issue (id, type, code, data, created_at, is_active, conference_id, connection_id, participant_id, session_id, track_id)
            VALUES (@id, @type, @code, @d::jsonb, @t, @a, @c, NULL, @p, @s, NULL)
            """, ("id", Guid.NewGuid()), ("type", type), ("code", code), ("d", (object?)Pick(IssueData) ?? DBNull.Value),
            ("t", Time()), ("a", random.Next(8) != 0), ("c", session.Conference),
            ("p", session.Participant), ("s", session.Id));
    }

    // Bulk COPY, as the seed writes: a few sessions of one linked participant.
    private async Task CopySessionsAsync(NpgsqlConnection connection, (Guid Participant, Guid Conference) link)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY app_session (id, platform, geo_ip, duration, created_at, is_active, conference_id, participant_id) FROM STDIN (FORMAT BINARY)");
        for (var i = 0; i < random.Next(1, 6); i++)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(Guid.NewGuid(), NpgsqlDbType.Uuid);
            await WriteJsonAsync(importer, Pick(Platforms));
            await WriteJsonAsync(importer, Pick(GeoIps));
            await importer.WriteAsync(0, NpgsqlDbType.Integer);
            await importer.WriteAsync(Time(), NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(true, NpgsqlDbType.Boolean);
            await importer.WriteAsync(link.Conference, NpgsqlDbType.Uuid);
            await importer.WriteAsync(link.Participant, NpgsqlDbType.Uuid);
        }
        await importer.CompleteAsync();
    }

    private static async Task WriteJsonAsync(NpgsqlBinaryImporter importer, string? json)
    {
        if (json is null)
        {
            await importer.WriteNullAsync();
        }
        else
        {
            await importer.WriteAsync(json, NpgsqlDbType.Jsonb);
        }
    }

    private string ConnectionInfo() => random.Next(6) switch
    {
        0 => "\"not an object\"",
        1 => """{"negotiations": "nope"}""",
        2 => """{"negotiations": []}""",
        _ => $$"""{"detected_tcp": false, "negotiations": [{{Negotiation()}}]}""",
    };

    private string Negotiation()
    {
        var start = Time();
        var end = start.AddMilliseconds(Pick<double>([0, 1, 249, 250, 600, 1499.999, 2400, 4999, 5000, 8000, -10]));
        string Text(DateTime t) => random.Next(4) switch
        {
            0 => t.ToString("yyyy-MM-dd HH:mm:ss.ffffff"),
            1 => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
            2 => t.AddHours(2).ToString("yyyy-MM-dd HH:mm:ss") + "+02:00",
            _ => Pick<string>(["n/a", "", "2024-02-30 10:00:00", t.ToString("yyyy-MM-dd HH:mm:ss")]),
        };
        var status = random.Next(5) == 0 ? "stable" : "connected";
        return $$"""{"status": "{{status}}", "start_time": "{{Text(start)}}", "end_time": "{{Text(end)}}"}""";
    }

    /// <summary>A time in the data's range, at any second and microsecond (so minutes are cut anywhere).</summary>
    private DateTime Time()
    {
        var span = rows.Until - rows.From;
        var ticks = (long)(random.NextDouble() * span.Ticks);
        return new DateTime(rows.From.Ticks + ticks - ticks % 10, DateTimeKind.Utc);
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql,
        params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        await command.ExecuteNonQueryAsync();
    }
}
