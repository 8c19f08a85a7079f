namespace PeerMetrics.Api.Rollups;

/// <summary>How summaries use the rollups (<c>Rollups:Mode</c>).</summary>
public enum RollupsMode
{
    /// <summary>Serve from raw rows, whatever is installed.</summary>
    Off,

    /// <summary>Serve raw, also compute from the rollups and report any difference.</summary>
    Shadow,

    /// <summary>Serve from the rollups whenever they can serve (ready and not behind), raw otherwise.</summary>
    On,
}

/// <summary>Settings of the rollups, bound from the <c>Rollups</c> section.</summary>
public sealed class RollupsOptions
{
    public const string SectionName = "Rollups";

    /// <summary>
    /// <c>on</c> | <c>shadow</c> | <c>off</c>. Unset, it is <c>on</c> when the service migrates its own database
    /// (<c>Database:ApplyMigrations</c>) and <c>off</c> otherwise; resolved once the options are built.
    /// </summary>
    public RollupsMode? Mode { get; set; }

    /// <summary>The resolved mode.</summary>
    public RollupsMode EffectiveMode => Mode ?? RollupsMode.Off;

    /// <summary>Run the maintainer in this process (one replica at a time applies; the others only watch).</summary>
    public bool Maintain { get; set; } = true;

    /// <summary>Pause between maintainer runs when there was nothing to do.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The rollups serve only while the oldest unapplied change is younger than this, and a compute waits at most
    /// this long for the changes pending at its read to be applied.
    /// </summary>
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long after a reset is requested (TRUNCATE, a trigger missing) the rollups are emptied and rebuilt:
    /// longer than <see cref="MaxLag"/>, so no replica still serves them by then.
    /// </summary>
    public TimeSpan ResetDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A compute that finds at most this many changes not yet applied applies them first (or waits, at most
    /// <see cref="MaxLag"/>, for the maintainer at it) and answers from the rollups; with more, from raw rows.
    /// </summary>
    public int ReadCatchUpLimit { get; set; } = 10_000;

    /// <summary>
    /// How much older than the compute its data may be. Zero (the default): exact, a compute first applies the
    /// changes pending at its read. Above zero, a compute answers from the rollups as they are while the last
    /// complete maintainer run started at most this long before it, so under a steady write load it never waits
    /// for one (the cache serves entries up to <c>SummaryCache:Ttl</c> old anyway).
    /// </summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.Zero;

    /// <summary>Change-log rows consumed by one maintainer run.</summary>
    public int MaxEntriesPerRun { get; set; } = 100_000;

    /// <summary>Conferences folded in by one backfill run.</summary>
    public int BackfillBatch { get; set; } = 2_000;

    /// <summary>
    /// The change log's cap in rows, enforced by the triggers in the database (the maintainer stores it in the
    /// rollups' state): past it they stop logging and the rollups are rebuilt instead, so the log stays bounded
    /// with every Api stopped.
    /// </summary>
    public long MaxLogRows { get; set; } = 1_000_000;

    /// <summary><c>/health</c> is Degraded when changes wait and nothing has applied the log for longer than this.</summary>
    public TimeSpan MaxUnappliedAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Install and uninstall wait at most this long for the peermetrics tables' locks, and run each statement
    /// under them at most this long: writers queue behind them for about that long at most.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often install and uninstall retry (with a growing pause) when the tables stay busy.</summary>
    public int LockRetries { get; set; } = 10;
}
