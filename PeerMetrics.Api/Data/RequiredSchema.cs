namespace PeerMetrics.Api.Data;

/// <summary>
/// Every table and column the Api reads, with its type: the SQL of the summaries and the drill-down
/// (Summaries/Definitions/*Summary.cs), the tenant check (AppDirectory) and the Prewarmer's route (Internal/PrewarmApi.cs).
/// A statement that starts reading another column adds it here; the minimal-schema test fails otherwise.
/// Types are PostgreSQL's <c>format_type</c> names without length: a varchar's length does not change a read.
/// </summary>
internal static class RequiredSchema
{
    private const string Uuid = "uuid";
    private const string Boolean = "boolean";
    private const string Integer = "integer";
    private const string Varchar = "character varying";
    private const string Jsonb = "jsonb";
    private const string Instant = "timestamp with time zone";
    private const string Text = "text";

    public static readonly IReadOnlyList<RequiredColumn> Columns =
    [
        // Every request of an organization checks it is active (Auth/ActiveOrganizations.cs).
        new("organization", "id", Uuid),
        new("organization", "is_active", Boolean),

        new("app", "id", Uuid),
        new("app", "organization_id", Uuid),
        new("app", "is_active", Boolean),

        new("conference", "id", Uuid),
        new("conference", "app_id", Uuid),
        new("conference", "is_active", Boolean),
        new("conference", "created_at", Instant),
        new("conference", "ongoing", Boolean),
        new("conference", "duration", Integer),
        new("conference", "conference_id", Varchar),
        new("conference", "conference_name", Varchar),
        new("conference", "conference_info", Jsonb),
        new("conference", "start_time", Instant),
        new("conference", "call_start", Instant),
        new("conference", "end_time", Instant),

        new("participant", "id", Uuid),
        new("participant", "is_active", Boolean),
        new("participant", "is_sfu", Boolean),

        new("participant_conferences", "participant_id", Uuid),
        new("participant_conferences", "conference_id", Uuid),

        new("app_session", "id", Uuid),
        new("app_session", "conference_id", Uuid),
        new("app_session", "participant_id", Uuid),
        new("app_session", "is_active", Boolean),
        new("app_session", "created_at", Instant),
        new("app_session", "platform", Jsonb),
        new("app_session", "geo_ip", Jsonb),

        new("app_connection", "conference_id", Uuid),
        new("app_connection", "is_active", Boolean),
        new("app_connection", "created_at", Instant),
        new("app_connection", "type", Varchar),
        new("app_connection", "connection_info", Jsonb),

        new("app_issue", "id", Uuid),
        new("app_issue", "conference_id", Uuid),
        new("app_issue", "is_active", Boolean),
        new("app_issue", "created_at", Instant),
        new("app_issue", "type", Varchar),
        new("app_issue", "code", Varchar),
        new("app_issue", "data", Jsonb),
    ];

    /// <summary>What the Django session check reads (Auth/DjangoSessionResolver.cs), when <c>Auth:DjangoSession</c> is on.</summary>
    public static readonly IReadOnlyList<RequiredColumn> DjangoSessionColumns =
    [
        new("django_session", "session_key", Varchar),
        new("django_session", "session_data", Text),
        new("django_session", "expire_date", Instant),

        new("users", "id", Uuid),
        new("users", "password", Varchar),
        new("users", "is_active", Boolean),
        new("users", "organization_id", Uuid),
    ];

    /// <summary>Every column this configuration of the Api reads.</summary>
    public static IReadOnlyList<RequiredColumn> For(bool djangoSessions) =>
        djangoSessions ? [.. Columns, .. DjangoSessionColumns] : Columns;
}

internal sealed record RequiredColumn(string Table, string Column, string Type);
