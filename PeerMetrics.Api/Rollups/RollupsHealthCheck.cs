using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// The rollups' entry in <c>/health</c>, with mode, phase, lag, backlog, the change log's fill and backfill progress
/// in its data. While they are backfilling, rebuilding or behind, summaries are computed from raw rows (slower,
/// still exact): that is healthy. Degraded when something needs an operator: the mode wants rollups that are not
/// installed; the schema drifted so they cannot serve (a column they read gone or retyped, a trigger missing);
/// the maintainer fails; or changes wait and nothing has applied the log for longer than
/// <see cref="RollupsOptions.MaxUnappliedAge"/> (it then grows towards its cap, past which a rebuild follows).
/// Degraded too beside an older install (it needs <c>rollups install</c>, or an upgrade at a migrating Api's next
/// start); beside a newer one (a rolling deploy, a rollback) it is healthy and says which versions read it.
/// </summary>
internal sealed class RollupsHealthCheck(RollupsMonitor monitor, IOptions<RollupsOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var status = monitor.Status;
        var data = new Dictionary<string, object>
        {
            ["mode"] = settings.EffectiveMode.ToString().ToLowerInvariant(),
            ["installed"] = status is not null,
        };
        var unapplied = monitor.UnappliedAge();
        if (status is not null)
        {
            data["phase"] = status.Phase;
            data["backlog"] = status.Backlog;
            data["lag_seconds"] = Math.Round(monitor.CurrentLag()?.TotalSeconds ?? 0, 3);
            data["backfill_done"] = status.BackfillDone;
            data["backfill_total"] = status.BackfillTotal;
            data["installed_version"] = status.Version;
            data["reader_version"] = RollupsSql.Version;
            data["min_reader_version"] = status.MinReaderVersion;
            data["readable"] = status.Readable;
            data["log_rows"] = status.LogRows;
            data["log_cap"] = status.LogCap;
            data["unapplied_seconds"] = Math.Round(unapplied?.TotalSeconds ?? 0, 3);
            if (status.Problem is not null)
            {
                data["problem"] = status.Problem;
            }
            if (status.RebuildReason is not null)
            {
                data["rebuild_reason"] = status.RebuildReason;
            }
        }
        if (monitor.Failure is { } failure)
        {
            data["failure"] = failure;
        }
        var mode = settings.EffectiveMode;
        string? degraded = null;
        if (monitor.Observed && status is null && monitor.Failure is null && mode != RollupsMode.Off)
        {
            degraded = $"Rollups:Mode is {data["mode"]} but the rollups are not installed: run `rollups install`";
        }
        // An older install waits for an upgrade (an operator, or the next start of a migrating Api); a newer one is a
        // rolling deploy or a rollback in progress: healthy, raw rows serve exactly.
        else if (status is { Fit: RollupsVersionFit.Older } && mode != RollupsMode.Off)
        {
            degraded = RollupsMonitor.VersionReason(status);
        }
        else if (monitor.Failure is { } reason)
        {
            degraded = $"the rollups maintainer fails ({reason}); summaries are computed from raw rows";
        }
        else if (status?.Problem is { } problem)
        {
            degraded = $"the rollups cannot serve until the schema is one they read ({problem}); summaries are computed from raw rows";
        }
        else if (status is { Backlog: > 0 } && unapplied > settings.MaxUnappliedAge)
        {
            degraded = $"nothing has applied the rollups' change log for {unapplied.Value.TotalSeconds:F0} s " +
                       $"(Rollups:MaxUnappliedAge {settings.MaxUnappliedAge.TotalSeconds:F0} s): {status.Backlog} changes wait, " +
                       $"{status.LogRows} of {status.LogCap} log rows used; is a maintainer running (Rollups:Maintain)?";
        }
        return Task.FromResult(degraded is not null
            ? HealthCheckResult.Degraded(degraded, data: data)
            : HealthCheckResult.Healthy(mode == RollupsMode.Off ? "rollups not used" : monitor.Describe(), data));
    }
}
