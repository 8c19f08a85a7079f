using System.Text.RegularExpressions;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// The SQL of the rollups: the install and uninstall scripts (embedded next to this file) and the name of
/// the schema they own. The install script's placeholders are filled with the raw summaries' own SQL, so a
/// rollup cell reads JSON, text times and coordinates exactly as the raw query does.
/// </summary>
internal static partial class RollupsSql
{
    public const string Schema = "peermetrics_rollups";

    /// <summary>
    /// Bumped when the installed objects change. An Api installs only over an older version (it upgrades), never
    /// over a newer one (docs/rollups.md, "Versions").
    /// </summary>
    public const int Version = 6;

    /// <summary>
    /// The oldest <see cref="Version"/> whose rollup SQL reads an install of this version exactly: recorded in the
    /// install's state, an older Api beside it serves from the rollups only when its own version is at least this.
    /// Keep it at <see cref="Version"/> unless the objects the summaries' rollup SQL reads are unchanged since
    /// the older version (5 is the first version whose readers check it). Version 6 stores no minutes and keeps
    /// them in the cells, behind views with the names and columns of version 5's tables whose rows add up to the
    /// same answers: version 5's rollup SQL reads it exactly.
    /// </summary>
    public const int MinReaderVersion = 5;

    /// <summary>
    /// The first statement of every REPEATABLE READ transaction that reads the peermetrics tables, before anything
    /// takes its snapshot. A table-rewriting <c>ALTER TABLE</c> (Django's AlterField from integer to bigint, or to a
    /// shorter varchar) and <c>TRUNCATE</c> are not MVCC-safe: a snapshot taken before one commits sees the table
    /// empty once it has, and the maintainer would fold that emptiness into the rollups (a summary read would
    /// cache it). Holding ACCESS SHARE from the start means any such rewrite committed before the snapshot or
    /// waits for the transaction; writers are not blocked.
    /// </summary>
    public const string ShareWatchedTables =
        "LOCK TABLE public.conference, public.app_issue, public.app_connection, public.app_session, " +
        "public.participant_conferences, public.participant IN ACCESS SHARE MODE";

    public static string Install => Placeholder().Replace(Read("RollupsInstall.sql"), match => match.Groups["kind"].Value switch
    {
        "INSTANT" => SummarySqlTime.Instant(match.Groups["a"].Value),
        "SQL" => match.Groups["a"].Value switch
        {
            "gum_values" => UserMediaErrorSummary.UserMediaErrorValues,
            "is_gum" => UserMediaErrorSummary.IsUserMediaError,
            "first_negotiation" => ConnectionSetupTimeSummary.FirstNegotiation,
            "setup_texts" => ConnectionSetupTimeSummary.SetupTexts,
            "setup_bucket" => ConnectionSetupTimeSummary.SetupBucket,
            "session_values" => SessionListSummary.SessionValues,
            "geo_ip" => SessionListSummary.GeoIp,
            "required_columns" => RequiredColumns(),
            var name => throw new InvalidOperationException($"Unknown SQL fragment {name} in RollupsInstall.sql"),
        },
        "VERSION" => (match.Groups["a"].Value == "min_reader" ? MinReaderVersion : Version)
            .ToString(System.Globalization.CultureInfo.InvariantCulture),
        var kind => throw new InvalidOperationException($"Unknown placeholder {kind} in RollupsInstall.sql"),
    });

    public static string Uninstall => Read("RollupsUninstall.sql");

    // The columns the Api reads, with their types, as VALUES rows: the rollups do not serve while one they read
    // is missing or of another type (the same check as the Api's at start-up).
    private static string RequiredColumns() => string.Join(", ", RequiredSchema.Columns.Select(column =>
        $"('{column.Table}', '{column.Column}', '{column.Type}')"));

    /// <summary>
    /// The install as two transactions: the schema, its tables and functions (no lock on the peermetrics tables
    /// beyond what reading their definitions takes), then, from the script's <c>LOCK TABLE</c> on, the locks
    /// and the triggers (held for a moment). The migration runs the whole script at once.
    /// </summary>
    public static (string Objects, string Triggers) InstallParts() => SplitAt(Install, "\nLOCK TABLE public.conference");

    /// <summary>The uninstall as two transactions: the triggers (under the tables' locks), then the schema.</summary>
    public static (string Triggers, string Objects) UninstallParts() => SplitAt(Uninstall, "\nDROP SCHEMA ");

    /// <summary>
    /// SQL over the state row aliased <paramref name="state"/>: true when this build reads that install (as
    /// <see cref="Fit"/>), checked in the reading snapshot itself, so an install replaced since the monitor's last
    /// look never answers a build that cannot read it.
    /// </summary>
    public static string ReadableSql(string state) =>
        $"({state}.version = {Version} OR ({state}.version > {Version} " +
        $"AND coalesce((to_jsonb({state}) ->> 'min_reader_version')::int, {state}.version) <= {Version}))";

    /// <summary>Whether this build's rollup SQL can read an install of <paramref name="installed"/>.</summary>
    public static RollupsVersionFit Fit(int installed, int minReader) =>
        installed == Version ? RollupsVersionFit.Same
        : installed < Version ? RollupsVersionFit.Older
        : minReader <= Version ? RollupsVersionFit.NewerReadable
        : RollupsVersionFit.NewerUnreadable;

    private static (string, string) SplitAt(string script, string marker)
    {
        var at = script.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0 || script.IndexOf(marker, at + 1, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"The rollups script must hold '{marker.Trim()}' exactly once.");
        }
        return (script[..(at + 1)], script[(at + 1)..]);
    }

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

/// <summary>How the installed rollups' version relates to this build's <see cref="RollupsSql.Version"/>.</summary>
public enum RollupsVersionFit
{
    /// <summary>This build's version: it reads them and maintains them.</summary>
    Same,

    /// <summary>An older version: this build upgrades it (migrating Api at start-up, <c>rollups install</c>); raw rows meanwhile.</summary>
    Older,

    /// <summary>A newer version that declares this build a compatible reader: it reads them, never reinstalls.</summary>
    NewerReadable,

    /// <summary>A newer version this build cannot read: raw rows serve; it never reinstalls.</summary>
    NewerUnreadable,
}
