using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// The last rollups status this process read, and the answer to "can the rollups serve now?": installed,
/// backfilled, and the oldest unapplied change (aged by the time since the status was read) younger than
/// <see cref="RollupsOptions.MaxLag"/>. Fed by <see cref="RollupsMaintainer"/>; exposes lag and backlog as
/// metrics.
/// </summary>
public sealed class RollupsMonitor
{
    public const string MeterName = "PeerMetrics.Api.Rollups";

    private readonly IOptions<RollupsOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RollupsMonitor> _logger;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _backfilled;
    private readonly Counter<long> _reads;
    private Observation? _last;
    private volatile string? _failure;
    private bool _reportedNotServing;
    private (int Version, int MinReader)? _reportedVersion;

    public RollupsMonitor(IOptions<RollupsOptions> options, TimeProvider time, IMeterFactory meterFactory, ILogger<RollupsMonitor> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("peermetrics.rollups.lag", () => CurrentLag()?.TotalSeconds ?? 0, "s",
            "Age of the oldest change not yet applied to the rollups.");
        meter.CreateObservableGauge("peermetrics.rollups.backlog", () => _last?.Status?.Backlog ?? 0, "{row}",
            "Change-log rows not yet applied to the rollups.");
        meter.CreateObservableGauge("peermetrics.rollups.log_rows", () => _last?.Status?.LogRows ?? 0, "{row}",
            "Rows in the change log, counting writes in flight; the triggers stop logging at Rollups:MaxLogRows.");
        meter.CreateObservableGauge("peermetrics.rollups.unapplied_age", () => UnappliedAge()?.TotalSeconds ?? 0, "s",
            "Time since a maintainer run last applied the change log.");
        _applied = meter.CreateCounter<long>("peermetrics.rollups.applied", "{row}", "Change-log rows applied by this process.");
        _backfilled = meter.CreateCounter<long>("peermetrics.rollups.backfilled", "{conference}", "Conferences backfilled by this process.");
        _reads = meter.CreateCounter<long>("peermetrics.rollups.reads", "{compute}",
            "Computes that asked for the rollups, by what answered them: source=rollups (current in the reading snapshot), " +
            "rollups_after_catch_up (pending changes applied first), rollups_within_staleness (Rollups:MaxStaleness) " +
            "or raw (not ready, or too far behind).");
    }

    private sealed record Observation(RollupsStatus? Status, long ReadAt);

    /// <summary>Whether the status has been read at least once.</summary>
    public bool Observed => _last is not null;

    /// <summary>The status as last read (null before the first read or when not installed).</summary>
    public RollupsStatus? Status => _last?.Status;

    /// <summary>Upper bound of the current lag: the reported lag plus the age of the report.</summary>
    public TimeSpan? CurrentLag()
    {
        if (_last is not { Status: { } status } last)
        {
            return null;
        }
        var age = _time.GetElapsedTime(last.ReadAt);
        // A change logged since the read is at most as old as the read; an old one has aged with it.
        return status.Backlog == 0 ? age : TimeSpan.FromSeconds(status.LagSeconds) + age;
    }

    /// <summary>Time since a maintainer run last applied the log (the reported age plus the age of the report).</summary>
    public TimeSpan? UnappliedAge() => _last is { Status: { } status } last
        ? TimeSpan.FromSeconds(status.UnappliedSeconds) + _time.GetElapsedTime(last.ReadAt)
        : null;

    /// <summary>Why this process's last maintainer run failed; null when it did not.</summary>
    public string? Failure => _failure;

    internal void Failed(string? failure) => _failure = failure;

    /// <summary>
    /// Whether this build reads the installed rollups (its version, or a newer one that declares it a compatible
    /// reader); null when none are installed or the status was not read yet.
    /// </summary>
    public bool? Readable => _last?.Status?.Readable;

    /// <summary>True when a summary may be answered from the rollups right now.</summary>
    public bool CanServe()
    {
        var canServe = _last is { Status: { Ready: true, Readable: true } } && CurrentLag() < _options.Value.MaxLag;
        if (!canServe && !_reportedNotServing)
        {
            _reportedNotServing = true;
            _logger.LogInformation("Rollups cannot serve ({Reason}); summaries are computed from raw rows", Describe());
        }
        else if (canServe && _reportedNotServing)
        {
            _reportedNotServing = false;
            _logger.LogInformation("Rollups are ready and current; summaries are served from them");
        }
        return canServe;
    }

    /// <summary>A short reason for logs and the health check.</summary>
    public string Describe() => _last switch
    {
        null => "status not read yet",
        { Status: null } => "not installed",
        { Status: { Readable: false } status } => VersionReason(status),
        { Status: { Ready: false, Problem: { } problem } status } =>
            $"{status.Phase}, {status.BackfillDone}/{status.BackfillTotal} conferences: {problem}",
        { Status: { Ready: false, RebuildReason: { } reason } status } =>
            $"{status.Phase}, {status.BackfillDone}/{status.BackfillTotal} conferences ({reason})",
        { Status: { Ready: false } status } => $"{status.Phase}, {status.BackfillDone}/{status.BackfillTotal} conferences",
        _ => $"lag {CurrentLag()?.TotalSeconds:F2} s, backlog {_last.Status.Backlog}",
    };

    /// <summary>A compute asked for the rollups; <paramref name="read"/> says what answered it.</summary>
    public void RecordRead(RollupsRead read) =>
        _reads.Add(1, new KeyValuePair<string, object?>("source", read switch
        {
            RollupsRead.Current => "rollups",
            RollupsRead.CaughtUp => "rollups_after_catch_up",
            RollupsRead.WithinStaleness => "rollups_within_staleness",
            _ => "raw",
        }));

    /// <summary>Why an install of another version does or does not serve this build.</summary>
    public static string VersionReason(RollupsStatus status) => status.Fit switch
    {
        RollupsVersionFit.Older => $"installed version {status.Version} is older than this Api's {RollupsSql.Version}: raw rows serve " +
                                   "until it is upgraded (an Api that migrates its database at its next start, or `rollups install`)",
        RollupsVersionFit.NewerUnreadable => $"installed version {status.Version} is newer than this Api's {RollupsSql.Version} and " +
                                             $"reads only from version {status.MinReaderVersion} on: raw rows serve; this Api never reinstalls over it",
        RollupsVersionFit.NewerReadable => $"installed version {status.Version} is newer than this Api's {RollupsSql.Version} and " +
                                           $"declares versions from {status.MinReaderVersion} on compatible: served from the rollups",
        _ => $"installed version {status.Version}",
    };

    internal void Observe(RollupsStatus? status)
    {
        _last = new Observation(status, _time.GetTimestamp());
        // Once per installed version (a rolling deploy or a rollback shows here, not at every read).
        if (status is not null && status.Fit != RollupsVersionFit.Same && _reportedVersion != (status.Version, status.MinReaderVersion))
        {
            _reportedVersion = (status.Version, status.MinReaderVersion);
            _logger.LogWarning("Rollups: {Reason}", VersionReason(status));
        }
        else if (status is { Fit: RollupsVersionFit.Same } && _reportedVersion is not null)
        {
            _reportedVersion = null;
            _logger.LogInformation("Rollups: installed version {Version} is this Api's", status.Version);
        }
    }

    internal void Record(RollupsRun run)
    {
        if (run.Consumed > 0)
        {
            _applied.Add(run.Consumed);
        }
        if (run.Backfilled > 0)
        {
            _backfilled.Add(run.Backfilled);
        }
    }
}

/// <summary>What answered a compute that asked for the rollups.</summary>
public enum RollupsRead
{
    /// <summary>The rollups, current in the reading snapshot.</summary>
    Current,

    /// <summary>The rollups, once the changes pending at the read were applied.</summary>
    CaughtUp,

    /// <summary>The rollups as they were, at most <see cref="RollupsOptions.MaxStaleness"/> behind.</summary>
    WithinStaleness,

    /// <summary>Raw rows: the rollups were not ready, or too far behind.</summary>
    Raw,
}
