using Npgsql;
using NpgsqlTypes;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// The parameters every summary statement takes: <c>@app_id</c>, and the window as <c>@from</c> / <c>@until</c>
/// (NULL when open; the SQL reads them as <c>coalesce(@from, '-infinity')</c>, so one plan shape serves all).
/// </summary>
internal static class SummarySqlParameters
{
    public static object[] For(SummaryQuery query) =>
    [
        new NpgsqlParameter("app_id", NpgsqlDbType.Uuid) { Value = query.AppId },
        // Typed explicitly: a NULL of unknown type could not be planned.
        new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = (object?)query.Window.From ?? DBNull.Value },
        new NpgsqlParameter("until", NpgsqlDbType.TimestampTz) { Value = (object?)query.Window.Until ?? DBNull.Value },
    ];
}
