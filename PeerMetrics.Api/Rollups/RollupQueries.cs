using System.Globalization;
using Npgsql;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// Runs a summary's statement, raw or rollup, on a given connection and transaction, for the verifier, the tests
/// and the benchmark: they compare the two forms row by row in one snapshot.
/// </summary>
public static class RollupQueries
{
    /// <summary>
    /// Runs one form and returns its column names and types, then its rows, each value in an invariant text form
    /// (arrays joined with commas, floats round-trippable); unordered statements sorted.
    /// </summary>
    public static async Task<List<string>> RunAsync(NpgsqlConnection connection, SummaryDefinition summary, SummarySource source,
        Guid app, DateTime? from, DateTime? until, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        var sql = summary.Sql;
        await using var command = new NpgsqlCommand(sql.For(source), connection, transaction);
        command.Parameters.AddRange(sql.ParametersFor(new SummaryQuery(Guid.Empty, app, new TimeWindow(from, until))));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var header = string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => $"{reader.GetName(i)}:{reader.GetDataTypeName(i)}"));
        var rows = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => Format(reader.GetValue(i)))));
        }
        if (!sql.Ordered)
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
}
