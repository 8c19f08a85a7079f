using StackExchange.Redis;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// Logs a Redis outage once, when the first connection to Redis fails, and once when every failed connection is
/// back, from the Redis client's connection events. Those are the ground truth, also for an idle Api; FusionCache's
/// cache events are not: its circuit breaker closes every few seconds to try again, and it reports operations that
/// Redis never took. The client fails a connection again at every reconnect attempt, so only the change from
/// "all connected" to "some failed" and back is logged.
/// </summary>
public sealed partial class RedisOutageLogger(IConnectionMultiplexer redis, ILogger<RedisOutageLogger> logger) : IHostedService
{
    private readonly HashSet<(string EndPoint, ConnectionType Type)> _failed = [];
    private readonly Lock _gate = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        return Task.CompletedTask;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs failure)
    {
        lock (_gate)
        {
            if (_failed.Add(Key(failure)) && _failed.Count == 1)
            {
                LogRedisDown(failure.FailureType, $"{failure.EndPoint}");
            }
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs restored)
    {
        lock (_gate)
        {
            if (_failed.Remove(Key(restored)) && _failed.Count == 0)
            {
                LogRedisBack();
            }
        }
    }

    private static (string, ConnectionType) Key(ConnectionFailedEventArgs args) => ($"{args.EndPoint}", args.ConnectionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable ({Failure} on {EndPoint}): summaries are computed and cached in memory only until it is back")]
    private partial void LogRedisDown(ConnectionFailureType failure, string endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis is reachable again: shared summary caching resumed")]
    private partial void LogRedisBack();
}
