using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// The rollups' entry in <c>/health</c>: Healthy when they can serve (or are not used), Degraded while they
/// are backfilling, behind or unreadable (summaries are then computed from raw rows: slower, still exact).
/// Lag, backlog and phase are in the entry's data.
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
        }
        if (options.Value.EffectiveMode == RollupsMode.Off && status is null)
        {
            return Task.FromResult(HealthCheckResult.Healthy("rollups not used", data));
        }
        return Task.FromResult(monitor.CanServe()
            ? HealthCheckResult.Healthy(monitor.Describe(), data)
            : HealthCheckResult.Degraded(monitor.Describe(), data: data));
    }
}
