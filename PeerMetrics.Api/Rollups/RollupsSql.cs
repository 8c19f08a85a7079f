using System.Text.RegularExpressions;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// The SQL of the rollups: the install and uninstall scripts (embedded next to this file) and the name of
/// the schema they own. The install script's placeholders are filled with the raw summaries' own SQL, so a
/// rollup cell reads JSON, text times and coordinates exactly as the raw query does.
/// </summary>
internal static partial class RollupsSql
{
    public const string Schema = "peermetrics_rollups";

    /// <summary>Bumped when the installed objects change; an install over another version reinstalls.</summary>
    public const int Version = 5;

    public static string Install => Placeholder().Replace(Read("RollupsInstall.sql"), match => match.Groups["kind"].Value switch
    {
        "INSTANT" => SummarySqlTime.Instant(match.Groups["a"].Value),
        "SQL" => match.Groups["a"].Value switch
        {
            "gum_values" => IssuesApi.UserMediaErrorValues,
            "is_gum" => IssuesApi.IsUserMediaError,
            "first_negotiation" => ConnectionsApi.FirstNegotiation,
            "setup_texts" => ConnectionsApi.SetupTexts,
            "setup_bucket" => ConnectionsApi.SetupBucket,
            "session_values" => SessionsApi.SessionValues,
            "geo_ip" => SessionsApi.GeoIp,
            "required_columns" => RequiredColumns(),
            var name => throw new InvalidOperationException($"Unknown SQL fragment {name} in RollupsInstall.sql"),
        },
        "VERSION" => Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
        var kind => throw new InvalidOperationException($"Unknown placeholder {kind} in RollupsInstall.sql"),
    });

    public static string Uninstall => Read("RollupsUninstall.sql");

    // The columns the Api reads, with their types, as VALUES rows: the rollups do not serve while one they read
    // is missing or of another type (the same check as the Api's at start-up).
    private static string RequiredColumns() => string.Join(", ", RequiredSchema.Columns.Select(column =>
        $"('{column.Table}', '{column.Column}', '{column.Type}')"));

    private static string Read(string fileName)
    {
        var resource = $"{typeof(RollupsSql).Namespace}.{fileName}";
        using var stream = typeof(RollupsSql).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded rollups script '{resource}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"/\*@(?<kind>[A-Z]+)\((?<a>[a-z_.]*)\)\*/")]
    private static partial Regex Placeholder();
}
