using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PeerMetrics.Api.Data;

/// <summary>
/// Checks at start-up that the database has every table and column of <see cref="RequiredSchema"/> with its
/// type, so that an older peermetrics database (docs/schema.md, Older databases) is refused at once, with everything it lacks,
/// instead of failing summary by summary. Tables are looked up as the Api's statements find them (the
/// connection's search_path).
/// </summary>
internal static class SchemaCheck
{
    private const string ColumnsSql = """
        SELECT t.name AS "Table", a.attname AS "Column", format_type(a.atttypid, NULL) AS "Type"
        FROM unnest(@tables) AS t(name)
        JOIN pg_attribute a ON a.attrelid = to_regclass(quote_ident(t.name)) AND a.attnum > 0 AND NOT a.attisdropped
        """;

    /// <summary>Throws <see cref="DatabaseSchemaException"/> listing every problem, or returns when there is none.</summary>
    public static async Task VerifyAsync(PeerMetricsDbContext db, IReadOnlyList<RequiredColumn> required, CancellationToken cancellationToken)
    {
        var problems = FindProblems(await ReadColumnsAsync(db, required, cancellationToken), required);
        if (problems.Count > 0)
        {
            throw new DatabaseSchemaException(problems);
        }
    }

    /// <summary>The problems in required order: a missing table once, then each missing or mistyped column.</summary>
    internal static List<string> FindProblems(IReadOnlyCollection<FoundColumn> found, IReadOnlyList<RequiredColumn> required)
    {
        var types = found.ToDictionary(column => (column.Table, column.Column), column => column.Type);
        var tables = found.Select(column => column.Table).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var table in required.GroupBy(column => column.Table))
        {
            if (!tables.Contains(table.Key))
            {
                problems.Add($"table {table.Key} is missing");
                continue;
            }
            foreach (var column in table)
            {
                if (!types.TryGetValue((column.Table, column.Column), out var type))
                {
                    problems.Add($"{column.Table}.{column.Column} is missing (expected {column.Type})");
                }
                else if (type != column.Type)
                {
                    problems.Add($"{column.Table}.{column.Column} is {type} (expected {column.Type})");
                }
            }
        }
        return problems;
    }

    private static async Task<List<FoundColumn>> ReadColumnsAsync(PeerMetricsDbContext db, IReadOnlyList<RequiredColumn> required,
        CancellationToken cancellationToken)
    {
        var tables = required.Select(column => column.Table).Distinct().ToArray();
        return await db.Database
            .SqlQueryRaw<FoundColumn>(ColumnsSql, new NpgsqlParameter<string[]>("tables", tables))
            .ToListAsync(cancellationToken);
    }

    internal sealed record FoundColumn(string Table, string Column, string Type);
}

/// <summary>
/// The database cannot serve this Api. An operator's problem, not a bug: the message says everything and a stack
/// trace would add nothing, so none is shown (the host logs this exception once, as it refuses to start).
/// </summary>
public sealed class DatabaseSchemaException(IReadOnlyList<string> problems) : Exception(
    $"The database lacks what the Api reads ({problems.Count} {(problems.Count == 1 ? "problem" : "problems")}): " +
    $"{string.Join("; ", problems)}. The Api does not start on this schema (see README, Old databases).")
{
    public IReadOnlyList<string> Problems { get; } = problems;

    public override string? StackTrace => null;
}
