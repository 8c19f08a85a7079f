namespace PeerMetrics.Prewarmer;

/// <summary>Placeholder until the prewarm cycle lands: starts, logs and stops cleanly.</summary>
internal sealed class PrewarmWorker(ILogger<PrewarmWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Prewarmer started");
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("Prewarmer stopping");
        }
    }
}
