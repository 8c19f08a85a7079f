using Microsoft.Extensions.Options;

namespace PeerMetrics.Prewarmer;

/// <summary>
/// The prewarm loop. It awaits each cycle before scheduling the next, so a cycle that overruns its period
/// delays the next one instead of overlapping it; across replicas the lease does the same.
/// </summary>
public sealed partial class PrewarmWorker(
    PrewarmRunner runner,
    IOptions<PrewarmOptions> options,
    TimeProvider time,
    ILogger<PrewarmWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        LogStarted(runner.Owner, settings.Interval.TotalSeconds, settings.MaxConcurrency);
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            var wait = settings.RetryInterval;
            try
            {
                // The holder keeps the cycle's rhythm; a standby asks again soon so a dead holder is replaced
                // shortly after its lease expires.
                if (await runner.TryRunAsync(stoppingToken) == PrewarmAttempt.Ran)
                {
                    wait = settings.Interval - time.GetElapsedTime(started);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                // Never let one bad cycle end the loop: the next one is the retry.
                LogUnexpected(exception);
            }

            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Hand over at once instead of leaving the other replicas to wait for the lease to expire.
        await runner.ReleaseAsync();
        LogStopped();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Prewarmer {Owner} started: a cycle every {IntervalSeconds:F0} s, {MaxConcurrency} refreshes at once")]
    private partial void LogStarted(string owner, double intervalSeconds, int maxConcurrency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Prewarmer stopped and released its lease")]
    private partial void LogStopped();

    [LoggerMessage(Level = LogLevel.Error, Message = "Prewarm cycle failed unexpectedly; retrying next cycle")]
    private partial void LogUnexpected(Exception exception);
}
