using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// The rollups' entry in <c>/health</c>, with mode, phase, lag, backlog and backfill progress in its data. While
/// they are backfilling or behind, summaries are computed from raw rows (slower, still exact): that is healthy.
/// Degraded only when they are to be used but not installed, or installed in an older version (both need
/// <c>rollups install</c>, or an upgrade at a migrating Api's next start). Beside a newer install (a rolling deploy,
/// a rollback) it is healthy and says which versions read it.
/// </summary>
internal sealed class RollupsHealthCheck(RollupsMonitor monitor, IOptions<RollupsOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = monitor.Status;
        var data = new Dictionary<string, object>
        {
            ["mode"] = options.Value.EffectiveMode.ToString().ToLowerInvariant(),
            ["installed"] = status is not null,
        };
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
        }
        var mode = options.Value.EffectiveMode;
        return Task.FromResult(monitor.Observed && status is null && mode != RollupsMode.Off
            ? HealthCheckResult.Degraded($"Rollups:Mode is {data["mode"]} but the rollups are not installed: run `rollups install`", data: data)
            // An older install waits for an upgrade (an operator, or the next start of a migrating Api); a newer
            // one is a rolling deploy or a rollback in progress: healthy, raw rows serve exactly.
            : status is { Fit: RollupsVersionFit.Older } && mode != RollupsMode.Off
            ? HealthCheckResult.Degraded(RollupsMonitor.VersionReason(status), data: data)
            : HealthCheckResult.Healthy(mode == RollupsMode.Off ? "rollups not used" : monitor.Describe(), data));
    }
}
