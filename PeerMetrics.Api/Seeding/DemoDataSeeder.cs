using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Seeding;

/// <summary>What a seed run wrote.</summary>
public sealed record DemoSeedResult(
    Guid MainOrganizationId,
    IReadOnlyList<App> Apps,
    IReadOnlyDictionary<string, long> RowCounts,
    DateTime Anchor,
    TimeSpan Elapsed);

/// <summary>
/// Writes <see cref="DemoDataGenerator"/> output into Postgres with binary COPY, chunk by chunk, in one
/// transaction: either the whole demo data set is there or none of it.
/// </summary>
public sealed class DemoDataSeeder(IServiceScopeFactory scopes, TimeProvider time, ILogger<DemoDataSeeder> logger)
{
    /// <summary>Every table the wipe empties. <c>users</c> must be listed: it references <c>organization</c>.</summary>
    public static readonly IReadOnlyList<string> WipedTables =
    [
        "app_issue_events", "app_issue", "app_genericevent", "app_track", "app_connection", "app_session",
        "participant_conferences", "summary", "participant", "conference", "app", "users", "organization",
    ];

    /// <summary>
    /// The comment the seed puts on the <c>organization</c> table with the data it writes: the seed command wipes a
    /// database with rows only when the mark is there (the rows are the seed's own).
    /// </summary>
    public const string SeedMarker = "peermetrics demo seed";

    /// <summary>The tables the generator fills, in the order of the per-table row counts.</summary>
    public static readonly IReadOnlyList<string> SeededTables =
    [
        "organization", "app", "conference", "participant", "participant_conferences", "app_session", "app_connection", "app_issue",
    ];

    /// <summary>Start-up seeding (Database:SeedDemoData): only into a database without any organization.</summary>
    public async Task SeedIfEmptyAsync(double scale, CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>();
        await using var connection = await OpenAsync(db, cancellationToken);

        await using (var check = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM organization)", connection))
        {
            if ((bool)(await check.ExecuteScalarAsync(cancellationToken))!)
            {
                logger.LogInformation("Database already has organizations; demo data not seeded");
                return;
            }
        }

        var generator = new DemoDataGenerator(scale, DemoDataGenerator.AnchorFor(time.GetUtcNow()));
        var result = await SeedAsync(connection, generator, wipe: false,
            message => logger.LogInformation("Demo data: {Progress}", message), cancellationToken);
        logger.LogInformation("Seeded demo data at scale {Scale} in {Elapsed}: {Counts}", scale, result.Elapsed,
            string.Join(", ", result.RowCounts.Select(c => $"{c.Key}={c.Value}")));
    }

    /// <summary>
    /// A connection of its own (from the context's connection string) without a command timeout: the final
    /// foreign-key check of scale 10 takes longer than an interactive query timeout.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenAsync(PeerMetricsDbContext db, CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) { CommandTimeout = 0 };
        var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Fills the database. With <paramref name="wipe"/> the peermetrics tables are truncated first (serials
    /// restarted), in the same transaction, so a rerun yields exactly the same rows.
    /// </summary>
    public static async Task<DemoSeedResult> SeedAsync(NpgsqlConnection connection, DemoDataGenerator generator, bool wipe,
        Action<string>? progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var counts = SeededTables.ToDictionary(t => t, _ => 0L);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The foreign keys are DEFERRABLE INITIALLY DEFERRED. Left deferred, all checks would queue up until
        // COMMIT and then revisit rows long evicted from the cache (200 s of 475 s at scale 10). Checked at the
        // end of each COPY, parents written first, they hit rows that are still in shared buffers.
        await ExecuteAsync(connection, "SET CONSTRAINTS ALL IMMEDIATE", cancellationToken);

        if (wipe)
        {
            await ExecuteAsync(connection, $"TRUNCATE TABLE {string.Join(", ", WipedTables)} RESTART IDENTITY", cancellationToken);
            progress?.Invoke($"truncated {string.Join(", ", WipedTables)}");
        }

        var total = generator.TotalConferences;
        var done = 0L;
        var nextReport = 0.1;
        foreach (var chunk in generator.Generate())
        {
            counts["organization"] += await CopyAsync(connection, OrganizationCopy, chunk.Organizations, WriteOrganization, cancellationToken);
            counts["app"] += await CopyAsync(connection, AppCopy, chunk.Apps, WriteApp, cancellationToken);
            counts["participant"] += await CopyAsync(connection, ParticipantCopy, chunk.Participants, WriteParticipant, cancellationToken);
            counts["conference"] += await CopyAsync(connection, ConferenceCopy, chunk.Conferences, WriteConference, cancellationToken);
            counts["participant_conferences"] += await CopyAsync(connection, ParticipantConferenceCopy, chunk.ParticipantConferences,
                WriteParticipantConference, cancellationToken);
            counts["app_session"] += await CopyAsync(connection, SessionCopy, chunk.Sessions, WriteSession, cancellationToken);
            counts["app_connection"] += await CopyAsync(connection, ConnectionCopy, chunk.Connections, WriteConnection, cancellationToken);
            counts["app_issue"] += await CopyAsync(connection, IssueCopy, chunk.Issues, WriteIssue, cancellationToken);

            done += chunk.Conferences.Count;
            if (total > 0 && (double)done / total >= nextReport)
            {
                progress?.Invoke($"{done}/{total} conferences copied ({stopwatch.Elapsed.TotalSeconds:F1} s)");
                nextReport = Math.Floor((double)done / total * 10 + 1) / 10;
            }
        }

        // Per-app call-time totals are known only now that every conference has been generated.
        foreach (var app in generator.Apps)
        {
            await using var update = new NpgsqlCommand("UPDATE app SET durations_days = @days WHERE id = @id", connection);
            update.Parameters.Add(new NpgsqlParameter("days", NpgsqlDbType.Jsonb) { Value = app.DurationsDays ?? "{}" });
            update.Parameters.AddWithValue("id", app.Id);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        // The mark that this data is the demo seed's (see SeedCommand's guard), committed with the data itself.
        await ExecuteAsync(connection, $"COMMENT ON TABLE organization IS '{SeedMarker}'", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        progress?.Invoke($"committed ({stopwatch.Elapsed.TotalSeconds:F1} s); analyzing");

        // Fresh statistics, so the first summary queries get sensible plans.
        await ExecuteAsync(connection, $"ANALYZE {string.Join(", ", SeededTables)}", cancellationToken);
        progress?.Invoke($"done in {stopwatch.Elapsed.TotalSeconds:F1} s");

        return new DemoSeedResult(generator.MainOrganization.Id, generator.Apps, counts, generator.Anchor, stopwatch.Elapsed);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> CopyAsync<T>(NpgsqlConnection connection, string copy, List<T> rows,
        Action<NpgsqlBinaryImporter, T> write, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return 0;
        }
        await using var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken);
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Synchronous writes only fill Npgsql's buffer (it flushes when full); awaiting every value
            // would cost a task per column for nothing.
            importer.StartRow();
            write(importer, row);
        }
        return (long)await importer.CompleteAsync(cancellationToken);
    }

    private const string OrganizationCopy = "COPY organization (id, name, created_at, is_active) FROM STDIN (FORMAT BINARY)";

    private static void WriteOrganization(NpgsqlBinaryImporter w, Organization o)
    {
        w.Write(o.Id, NpgsqlDbType.Uuid);
        w.Write(o.Name, NpgsqlDbType.Varchar);
        w.Write(o.CreatedAt, NpgsqlDbType.TimestampTz);
        w.Write(o.IsActive, NpgsqlDbType.Boolean);
    }

    private const string AppCopy = "COPY app (id, name, api_key, domain, \"interval\", recording, durations_days, created_at, " +
        "is_active, organization_id) FROM STDIN (FORMAT BINARY)";

    private static void WriteApp(NpgsqlBinaryImporter w, App a)
    {
        w.Write(a.Id, NpgsqlDbType.Uuid);
        w.Write(a.Name, NpgsqlDbType.Varchar);
        w.Write(a.ApiKey, NpgsqlDbType.Varchar);
        Text(w, a.Domain, NpgsqlDbType.Varchar);
        w.Write(a.Interval, NpgsqlDbType.Integer);
        w.Write(a.Recording, NpgsqlDbType.Boolean);
        Text(w, a.DurationsDays, NpgsqlDbType.Jsonb);
        w.Write(a.CreatedAt, NpgsqlDbType.TimestampTz);
        w.Write(a.IsActive, NpgsqlDbType.Boolean);
        w.Write(a.OrganizationId, NpgsqlDbType.Uuid);
    }

    private const string ConferenceCopy = "COPY conference (id, conference_id, conference_name, conference_info, start_time, " +
        "call_start, end_time, ongoing, duration, created_at, is_active, app_id) FROM STDIN (FORMAT BINARY)";

    private static void WriteConference(NpgsqlBinaryImporter w, Conference c)
    {
        w.Write(c.Id, NpgsqlDbType.Uuid);
        w.Write(c.ConferenceId, NpgsqlDbType.Varchar);
        Text(w, c.ConferenceName, NpgsqlDbType.Varchar);
        Text(w, c.ConferenceInfo, NpgsqlDbType.Jsonb);
        Time(w, c.StartTime);
        Time(w, c.CallStart);
        Time(w, c.EndTime);
        w.Write(c.Ongoing, NpgsqlDbType.Boolean);
        w.Write(c.Duration, NpgsqlDbType.Integer);
        w.Write(c.CreatedAt, NpgsqlDbType.TimestampTz);
        w.Write(c.IsActive, NpgsqlDbType.Boolean);
        w.Write(c.AppId, NpgsqlDbType.Uuid);
    }

    private const string ParticipantCopy = "COPY participant (id, participant_id, participant_name, is_sfu, created_at, is_active, " +
        "app_id) FROM STDIN (FORMAT BINARY)";

    private static void WriteParticipant(NpgsqlBinaryImporter w, Participant p)
    {
        w.Write(p.Id, NpgsqlDbType.Uuid);
        w.Write(p.ParticipantId, NpgsqlDbType.Varchar);
        Text(w, p.ParticipantName, NpgsqlDbType.Varchar);
        w.Write(p.IsSfu, NpgsqlDbType.Boolean);
        w.Write(p.CreatedAt, NpgsqlDbType.TimestampTz);
        w.Write(p.IsActive, NpgsqlDbType.Boolean);
        w.Write(p.AppId, NpgsqlDbType.Uuid);
    }

    // The serial id is left to its sequence (restarted by the wipe, so it is deterministic too).
    private const string ParticipantConferenceCopy = "COPY participant_conferences (participant_id, conference_id) FROM STDIN (FORMAT BINARY)";

    private static void WriteParticipantConference(NpgsqlBinaryImporter w, ParticipantConference pc)
    {
        w.Write(pc.ParticipantId, NpgsqlDbType.Uuid);
        w.Write(pc.ConferenceId, NpgsqlDbType.Uuid);
    }

    private const string SessionCopy = "COPY app_session (id, constraints, devices, platform, metadata, geo_ip, app_version, " +
        "webrtc_sdk, session_info, duration, end_time, call_start, created_at, is_active, conference_id, participant_id) " +
        "FROM STDIN (FORMAT BINARY)";

    private static void WriteSession(NpgsqlBinaryImporter w, Session s)
    {
        w.Write(s.Id, NpgsqlDbType.Uuid);
        Text(w, s.Constraints, NpgsqlDbType.Jsonb);
        Text(w, s.Devices, NpgsqlDbType.Jsonb);
        Text(w, s.Platform, NpgsqlDbType.Jsonb);
        Text(w, s.Metadata, NpgsqlDbType.Jsonb);
        Text(w, s.GeoIp, NpgsqlDbType.Jsonb);
        Text(w, s.AppVersion, NpgsqlDbType.Varchar);
        Text(w, s.WebrtcSdk, NpgsqlDbType.Varchar);
        Text(w, s.SessionInfo, NpgsqlDbType.Jsonb);
        w.Write(s.Duration, NpgsqlDbType.Integer);
        Time(w, s.EndTime);
        Time(w, s.CallStart);
        w.Write(s.CreatedAt, NpgsqlDbType.TimestampTz);
        w.Write(s.IsActive, NpgsqlDbType.Boolean);
        w.Write(s.ConferenceId, NpgsqlDbType.Uuid);
        w.Write(s.ParticipantId, NpgsqlDbType.Uuid);
    }

    private const string ConnectionCopy = "COPY app_connection (id, type, state, connection_info, start_time, end_time, duration, " +
        "created_at, is_active, conference_id, participant_id, peer_id, session_id) FROM STDIN (FORMAT BINARY)";

    private static void WriteConnection(NpgsqlBinaryImporter w, Connection c)
    {
        w.Write(c.Id, NpgsqlDbType.Uuid);
        Text(w, c.Type, NpgsqlDbType.Varchar);
        w.Write(c.State, NpgsqlDbType.Varchar);
        Text(w, c.ConnectionInfo, NpgsqlDbType.Jsonb);
        Time(w, c.StartTime);
        Time(w, c.EndTime);
        w.Write(c.Duration, NpgsqlDbType.Integer);
        w.Write(c.CreatedAt, NpgsqlDbType.TimestampTz);
        w.Write(c.IsActive, NpgsqlDbType.Boolean);
        w.Write(c.ConferenceId, NpgsqlDbType.Uuid);
        w.Write(c.ParticipantId, NpgsqlDbType.Uuid);
        w.Write(c.PeerId, NpgsqlDbType.Uuid);
        w.Write(c.SessionId, NpgsqlDbType.Uuid);
    }

    private const string IssueCopy = "COPY app_issue (id, type, code, data, created_at, is_active, conference_id, connection_id, " +
        "participant_id, session_id, track_id) FROM STDIN (FORMAT BINARY)";

    private static void WriteIssue(NpgsqlBinaryImporter w, Issue i)
    {
        w.Write(i.Id, NpgsqlDbType.Uuid);
        w.Write(i.Type, NpgsqlDbType.Varchar);
        w.Write(i.Code, NpgsqlDbType.Varchar);
        Text(w, i.Data, NpgsqlDbType.Jsonb);
        w.Write(i.CreatedAt, NpgsqlDbType.TimestampTz);
        w.Write(i.IsActive, NpgsqlDbType.Boolean);
        Uuid(w, i.ConferenceId);
        Uuid(w, i.ConnectionId);
        Uuid(w, i.ParticipantId);
        w.Write(i.SessionId, NpgsqlDbType.Uuid);
        Uuid(w, i.TrackId);
    }

    private static void Text(NpgsqlBinaryImporter w, string? value, NpgsqlDbType type)
    {
        if (value is null) { w.WriteNull(); } else { w.Write(value, type); }
    }

    private static void Time(NpgsqlBinaryImporter w, DateTime? value)
    {
        if (value is { } v) { w.Write(v, NpgsqlDbType.TimestampTz); } else { w.WriteNull(); }
    }

    private static void Uuid(NpgsqlBinaryImporter w, Guid? value)
    {
        if (value is { } v) { w.Write(v, NpgsqlDbType.Uuid); } else { w.WriteNull(); }
    }
}
