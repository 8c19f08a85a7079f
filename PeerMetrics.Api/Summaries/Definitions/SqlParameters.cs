using Npgsql;
using NpgsqlTypes;

namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>
/// Typed Npgsql parameters for the hand-written summary SQL. Explicit types matter for NULLs: an untyped
/// NULL in <c>@from IS NULL</c> leaves Postgres unable to infer the parameter's type.
/// </summary>
internal static class SqlParameters
{
    public static NpgsqlParameter Uuid(string name, Guid? value) => Typed(name, NpgsqlDbType.Uuid, value);

    public static NpgsqlParameter Uuids(string name, Guid[]? value) =>
        Typed(name, NpgsqlDbType.Array | NpgsqlDbType.Uuid, value);

    public static NpgsqlParameter Timestamp(string name, DateTime? value) => Typed(name, NpgsqlDbType.TimestampTz, value);

    public static NpgsqlParameter Integer(string name, int? value) => Typed(name, NpgsqlDbType.Integer, value);

    public static NpgsqlParameter Text(string name, string? value) => Typed(name, NpgsqlDbType.Text, value);

    /// <summary>The app and the minute window every summary filters by (<c>@app</c>, <c>@from</c>, <c>@until</c>).</summary>
    public static NpgsqlParameter[] ForSummary(SummaryQuery query) =>
    [
        Uuid("app", query.AppId),
        Timestamp("from", query.Window.From),
        Timestamp("until", query.Window.Until),
    ];

    private static NpgsqlParameter Typed(string name, NpgsqlDbType type, object? value) =>
        new(name, type) { Value = value ?? DBNull.Value };
}
