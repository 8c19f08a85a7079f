using System.ComponentModel.DataAnnotations.Schema;

namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary><c>/v1/connections/summary</c>: the app's connections by type, direct or relayed.</summary>
public static class ConnectionTypeSummary
{
    public sealed record NamedCount(string Name, int Count);

    public sealed record ConnectionsSummary(IReadOnlyList<NamedCount> Data);

    /// <summary>
    /// The path of connection c, written once for the raw query and the rollup cells
    /// (Rollups/Install/connection-cells.sql): 'r' relayed (a relay candidate), 'd' direct (any other type), NULL
    /// while its type is unknown (until the first stats report), when it counts as neither.
    /// </summary>
    internal const string Path = """
        CASE WHEN c.type = 'r' THEN 'r' WHEN c.type IS NOT NULL THEN 'd' END
        """;

    private const string RawSql = $"""
        SELECT count(*) FILTER (WHERE p.path = 'd')::int AS direct,
               count(*) FILTER (WHERE p.path = 'r')::int AS relayed
        FROM app_connection c
        JOIN conference f ON f.id = c.conference_id
        CROSS JOIN LATERAL (SELECT {Path} AS path) p
        WHERE f.app_id = @app
          AND c.is_active
          AND c.created_at >= coalesce(@from, '-infinity')
          AND c.created_at < coalesce(@until, 'infinity')
          AND c.type IS NOT NULL
        """;

    // The same row from the rollups (docs/rollups.md); always one row, zeros when nothing matches.
    private static readonly string RollupSql = $"""
        SELECT coalesce(sum(r.direct), 0)::int AS direct,
               coalesce(sum(r.relayed), 0)::int AS relayed
        {RollupWindow.Read("connection_type")}
        """;

    // After the statements it is built from: static fields initialize in order.
    public static readonly SummaryDefinition<ConnectionsSummary> Definition = new(
        "/v1/connections/summary", "connections.summary", "Connections",
        "Connections of the app by type: direct or relayed",
        new SummarySql(RawSql, RollupSql), MapAsync);

    private sealed record TypeCounts([property: Column("direct")] int Direct, [property: Column("relayed")] int Relayed);

    private static async Task<ConnectionsSummary> MapAsync(SummaryStatement statement, CancellationToken ct)
    {
        var counts = (await statement.RowsAsync<TypeCounts>(ct)).Single();
        return new ConnectionsSummary([new("Direct", counts.Direct), new("Relayed", counts.Relayed)]);
    }
}
