using ZiggyCreatures.Caching.Fusion;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// Logs a Redis outage once when FusionCache's circuit breaker first opens, and once when Redis answers
/// again, instead of an error per request.
/// </summary>
public sealed partial class RedisOutageLogger(IFusionCache cache, ILogger<RedisOutageLogger> logger) : IHostedService
{
    private int _down;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var distributed = cache.Events.Distributed;
        distributed.CircuitBreakerChange += (_, change) =>
        {
            if (!change.IsClosed && Interlocked.Exchange(ref _down, 1) == 0)
            {
                LogRedisDown();
            }
        };
        // Any successful Redis operation ends the outage.
        distributed.Hit += (_, _) => Recovered();
        distributed.Miss += (_, _) => Recovered();
        distributed.Set += (_, _) => Recovered();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Recovered()
    {
        if (Volatile.Read(ref _down) == 1 && Interlocked.Exchange(ref _down, 0) == 1)
        {
            LogRedisBack();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable: summaries are computed and cached in memory only until it is back")]
    private partial void LogRedisDown();

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis is reachable again: shared summary caching resumed")]
    private partial void LogRedisBack();
}
