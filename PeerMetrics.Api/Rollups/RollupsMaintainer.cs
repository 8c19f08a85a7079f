using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// Applies the change log to the rollups (and runs the backfill) inside the Api, then reads the status for
/// <see cref="RollupsMonitor"/>. Every replica runs it; the advisory lock in <c>apply()</c> lets one apply at a
/// time while the others only read the status. Idle, it polls; with work pending it runs back to back.
/// </summary>
internal sealed class RollupsMaintainer(
    IServiceScopeFactory scopes,
    RollupsMonitor monitor,
    IOptions<RollupsOptions> options,
    TimeProvider time,
    ILogger<RollupsMaintainer> logger) : BackgroundService
{
    // After a run that emptied this many log rows, the log's heap is vacuumed at once: a compute checks the log
    // in every snapshot, and a scan of an empty log that still spans the pages of a bulk load costs tens of ms.
    private const long VacuumAfter = 10_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string connectionString;
        using (var scope = scopes.CreateScope())
        {
            // Its own unpooled connection, held while it runs: it never competes with requests for the pool,
            // and closes for good when the host stops.
            connectionString = new NpgsqlConnectionStringBuilder(
                scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>().Database.GetConnectionString())
            {
                Pooling = false,
                CommandTimeout = 0,
            }.ConnectionString;
        }
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.Value;
            var busy = false;
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    busy = false;
                    var started = DateTime.UtcNow;
                    RollupsRun? run = null;
                    // A poll that finds nothing to do is not traced: its statements would be a trace of their own
                    // every poll interval. A run that did work is one root span, rollups.apply, recorded below.
                    using (SuppressInstrumentationScope.Begin())
                    {
                        if (settings.Maintain && await RollupsDatabase.IsInstalledAsync(connection, stoppingToken))
                        {
                            // The cap lives in the database, where the triggers enforce it with no Api running.
                            await RollupsDatabase.SetLogCapAsync(connection, settings.MaxLogRows, stoppingToken);
                            run = await RollupsDatabase.ApplyAsync(connection, settings.MaxEntriesPerRun, settings.BackfillBatch,
                                settings.ResetDelay, stoppingToken);
                            monitor.Record(run);
                            busy = run.Locked && (run.Consumed > 0 || run.Backfilled > 0);
                        }
                    }
                    using (busy ? StartApplied(run!, started) : SuppressInstrumentationScope.Begin())
                    {
                        if (run?.Consumed >= VacuumAfter)
                        {
                            await RollupsDatabase.VacuumLogAsync(connection, stoppingToken);
                        }
                        monitor.Observe(await RollupsDatabase.StatusAsync(connection, stoppingToken));
                    }
                    monitor.Failed(null);
                    if (failing)
                    {
                        failing = false;
                        logger.LogInformation("Rollups maintainer recovered");
                    }
                    if (!busy)
                    {
                        await Task.Delay(settings.PollInterval, time, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // Nothing applied is lost: the run's transaction rolled back and its log rows are still there.
                monitor.Observe(null);
                monitor.Failed(e.Message);
                if (!failing)
                {
                    failing = true;
                    logger.LogWarning(e, "Rollups maintainer run failed; summaries fall back to raw rows until it recovers");
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// The root span of a run that applied changes or backfilled, begun when the run began (its apply statement ran
    /// before it was known to do work); the vacuum and the status read that follow are its children.
    /// </summary>
    private static IDisposable? StartApplied(RollupsRun run, DateTime started)
    {
        var activity = ApiTelemetry.Source.StartActivity("rollups.apply", ActivityKind.Internal, parentContext: default, startTime: started);
        activity?.SetTag("rollups.consumed", run.Consumed);
        activity?.SetTag("rollups.backfilled", run.Backfilled);
        activity?.SetTag("rollups.phase", run.Phase);
        return activity;
    }
}
