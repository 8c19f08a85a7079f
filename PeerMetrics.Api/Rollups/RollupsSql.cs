using System.Text.RegularExpressions;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// The SQL of the rollups: the install script (the files of <c>Install/</c>, in <see cref="InstallFiles"/>' order),
/// the uninstall script (embedded next to this file) and the name of the schema they own. The install's
/// placeholders are filled with the raw summaries' own SQL, so a rollup cell reads JSON, text times and
/// coordinates exactly as the raw query does.
/// </summary>
internal static partial class RollupsSql
{
    public const string Schema = "peermetrics_rollups";

    /// <summary>
    /// Bumped when the installed objects change. An Api installs only over an older version (it upgrades), never
    /// over a newer one (docs/rollups.md, "Versions").
    /// </summary>
    public const int Version = 10;

    /// <summary>
    /// The oldest <see cref="Version"/> whose rollup SQL reads an install of this version exactly: recorded in the
    /// install's state, an older Api beside it serves from the rollups only when its own version is at least this.
    /// Keep it at <see cref="Version"/> unless the objects the summaries' rollup SQL reads are unchanged since
    /// the older version (5 is the first version whose readers check it). Version 6 stores no minutes and keeps
    /// them in the cells, behind views with the names and columns of version 5's tables whose rows add up to the
    /// same answers: version 5's rollup SQL reads it exactly. Version 7 changes only how the install is written
    /// and maintained (the change log's families spelled out, the maintainer's jobs as functions): the views,
    /// <c>window_parts</c>, <c>uuid_union</c>, <c>state</c>, <c>triggers_ok()</c>, <c>status()</c> and the change
    /// log's row count answer as in versions 5 and 6, so their readers read it exactly. Version 8 only takes the
    /// conference and session cells' rules from the summaries' fragments (same cells, same values): read as 7.
    /// Version 9 has one trigger function (a TRUNCATE's trigger runs <c>log_change()</c> too), version 10 the
    /// same checks in <c>triggers_ok()</c>, faster: read as 7.
    /// </summary>
    public const int MinReaderVersion = 5;

    /// <summary>
    /// The six peermetrics tables the triggers watch, in the one order every statement that locks several of them
    /// takes them (so two such statements never deadlock): the readers' <see cref="ShareWatchedTables"/>, the
    /// install's and the uninstall's locks.
    /// </summary>
    public const string WatchedTables = "public.conference, public.app_issue, public.app_connection, public.app_session, " +
                                        "public.participant_conferences, public.participant";

    /// <summary>
    /// The first statement of every REPEATABLE READ transaction that reads the peermetrics tables, before anything
    /// takes its snapshot. A table-rewriting <c>ALTER TABLE</c> (Django's AlterField from integer to bigint, or to a
    /// shorter varchar) and <c>TRUNCATE</c> are not MVCC-safe: a snapshot taken before one commits sees the table
    /// empty once it has, and the maintainer would fold that emptiness into the rollups (a summary read would
    /// cache it). Holding ACCESS SHARE from the start means any such rewrite committed before the snapshot or
    /// waits for the transaction; writers are not blocked.
    /// </summary>
    public const string ShareWatchedTables = $"LOCK TABLE {WatchedTables} IN ACCESS SHARE MODE";

    /// <summary>
    /// The install script: these files of <c>Install/</c>, in this order, concatenated, placeholders filled. The
    /// last one is the install's second transaction (<see cref="InstallParts"/>): the locks and the triggers.
    /// </summary>
    public static readonly IReadOnlyList<string> InstallFiles =
    [
        "state.sql",            // the schema, the state row, the families of change, the touched buckets
        "change-log.sql",       // the change log, what the triggers watch, their functions, the checks of both
        "conference-cells.sql", // each family's cells and their recompute from raw rows
        "issue-cells.sql",
        "connection-cells.sql",
        "session-cells.sql",
        "window.sql",           // window_parts and uuid_union: what the summaries read a window with
        "levels.sql",           // the stored levels, the views, the rollups' definition and re-aggregation
        "apply.sql",            // the maintainer's run, one function per job, and status()
        "triggers.sql",         // the second transaction: the six tables' locks, then the triggers
    ];

    public static string Install => Assemble(InstallFiles);

    public static string Uninstall => Fill(Read("RollupsUninstall.sql"));

    /// <summary>
    /// The install as two transactions: the schema, its tables and functions (no lock on the peermetrics tables
    /// beyond what reading their definitions takes), then the last file, the locks and the triggers (held for a
    /// moment). The migration runs the whole script at once.
    /// </summary>
    public static (string Objects, string Triggers) InstallParts() => (Assemble(InstallFiles.SkipLast(1)), Assemble(InstallFiles.TakeLast(1)));

    private static string Assemble(IEnumerable<string> files) => string.Concat(files.Select(file => Fill(Read($"Install.{file}"))));

    private static string Fill(string script) => Placeholder().Replace(script, match => match.Groups["kind"].Value switch
    {
        "INSTANT" => SummarySqlTime.Instant(match.Groups["a"].Value),
        "SQL" => match.Groups["a"].Value switch
        {
            "conference_status" => ConferenceStatusSummary.Status,
            "deciding_issue" => ConferenceStatusSummary.DecidingIssue,
            "has_error" => ConferenceStatusSummary.HasError,
            "duration_from" => ConferenceDurationSummary.DurationFrom,
            "participant_present" => ParticipantCountSummary.Present,
            "gum_values" => UserMediaErrorSummary.UserMediaErrorValues,
            "is_gum" => UserMediaErrorSummary.IsUserMediaError,
            "connection_path" => ConnectionTypeSummary.Path,
            "first_negotiation" => ConnectionSetupTimeSummary.FirstNegotiation,
            "setup_texts" => ConnectionSetupTimeSummary.SetupTexts,
            "setup_bucket" => ConnectionSetupTimeSummary.SetupBucket,
            "session_values" => SessionListSummary.SessionValues,
            "geo_ip" => SessionListSummary.GeoIp,
            "listed_values" => SessionListSummary.ListedValues,
            "required_columns" => RequiredColumns(),
            var name => throw new InvalidOperationException($"Unknown SQL fragment {name} in a rollups script"),
        },
        "VERSION" => (match.Groups["a"].Value == "min_reader" ? MinReaderVersion : Version)
            .ToString(System.Globalization.CultureInfo.InvariantCulture),
        "WATCHED_TABLES" => WatchedTables,
        var kind => throw new InvalidOperationException($"Unknown placeholder {kind} in a rollups script"),
    });

    // The columns the Api reads, with their types, as VALUES rows: the rollups do not serve while one they read
    // is missing or of another type (the same check as the Api's at start-up).
    private static string RequiredColumns() => string.Join(", ", RequiredSchema.Columns.Select(column =>
        $"('{column.Table}', '{column.Column}', '{column.Type}')"));

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

    [GeneratedRegex(@"/\*@(?<kind>[A-Z_]+)\((?<a>[a-z_.]*)\)\*/")]
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
