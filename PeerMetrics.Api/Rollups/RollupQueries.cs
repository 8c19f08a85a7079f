using System.Globalization;
using System.Reflection;
using Npgsql;
using PeerMetrics.Api.Summaries;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// One summary's two definitions: the raw SQL (the reference) and the rollup SQL, which takes the same
/// parameters and returns the same rows. <see cref="Ordered"/> is false where the raw SQL leaves the row
/// order to the planner (its handler reads the rows into a dictionary); compare those as sets.
/// </summary>
public sealed record RollupQuery(string Name, string RawSql, string RollupSql, bool Ordered, Func<NpgsqlParameter[]> ExtraParameters);

/// <summary>The eight summaries, each with both of its definitions.</summary>
public static class RollupQueries
{
    private static readonly int[] DurationLowerBounds = ConferencesApi.DurationBuckets.Select(bucket => bucket.MinSec).ToArray();

    public static IReadOnlyList<RollupQuery> All { get; } =
    [
        new("conferences.summary", Raw(typeof(ConferencesApi), "StatusByDaySql"), ConferencesApi.StatusByDayRollupSql, true, None),
        new("conferences.duration_summary", Raw(typeof(ConferencesApi), "DurationsSql"), ConferencesApi.DurationsRollupSql, false,
            () => [SqlParameters.Integers("lower_bounds", DurationLowerBounds)]),
        new("conferences.participant_count_summary", Raw(typeof(ConferencesApi), "ParticipantCountsSql"),
            ConferencesApi.ParticipantCountsRollupSql, true, None),
        new("issues.summary", Raw(typeof(IssuesApi), "ByCodeSql"), IssuesApi.ByCodeRollupSql, true, None),
        new("issues.gum_summary", Raw(typeof(IssuesApi), "UserMediaErrorsSql"), IssuesApi.UserMediaErrorsRollupSql, true, None),
        new("connections.summary", Raw(typeof(ConnectionsApi), "SummarySql"), ConnectionsApi.SummaryRollupSql, true, None),
        new("connections.setup_time_summary", Raw(typeof(ConnectionsApi), "SetupTimeSql"), ConnectionsApi.SetupTimeRollupSql, false, None),
        new("sessions.summary", Raw(typeof(SessionsApi), "Sql"), SessionsApi.RollupSql, true, None),
    ];

    /// <summary>
    /// Runs one definition and returns its column names and types, then its rows, each value in an invariant
    /// text form (arrays joined with commas, floats round-trippable), unordered queries sorted.
    /// </summary>
    public static async Task<List<string>> RunAsync(NpgsqlConnection connection, RollupQuery query, bool rollup,
        Guid app, DateTime? from, DateTime? until, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(rollup ? query.RollupSql : query.RawSql, connection, transaction);
        command.Parameters.Add(SqlParameters.Uuid("app", app));
        command.Parameters.Add(SqlParameters.Timestamp("from", from));
        command.Parameters.Add(SqlParameters.Timestamp("until", until));
        command.Parameters.AddRange(query.ExtraParameters());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var header = string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => $"{reader.GetName(i)}:{reader.GetDataTypeName(i)}"));
        var rows = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => Format(reader.GetValue(i)))));
        }
        if (!query.Ordered)
        {
            rows.Sort(StringComparer.Ordinal);
        }
        return [header, .. rows];
    }

    private static string Format(object value) => value switch
    {
        DBNull => "NULL",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        Array array => "[" + string.Join(',', array.Cast<object>().Select(Format)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static NpgsqlParameter[] None() => [];

    // The raw statements stay private to their summary files (they are being refactored there); read them
    // by name. RollupQueriesTests pins that every one resolves.
    private static string Raw(Type type, string name) =>
        type.GetField(name, BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as string
        ?? throw new InvalidOperationException($"{type.Name}.{name} not found");
}
