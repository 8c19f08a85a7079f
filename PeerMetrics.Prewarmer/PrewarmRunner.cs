using StackExchange.Redis;

namespace PeerMetrics.Prewarmer;

/// <summary>What happened when a replica tried to run a cycle.</summary>
public enum PrewarmAttempt
{
    /// <summary>This replica held the lease and ran the cycle.</summary>
    Ran,

    /// <summary>Another replica holds the lease.</summary>
    NotLeader,

    /// <summary>The lease could not be checked (Redis is down): nobody can know who should run, so no one does.</summary>
    LeaseUnavailable,
}

/// <summary>Runs a cycle only under the lease: with N replicas, each cycle's refreshes happen once.</summary>
public sealed partial class PrewarmRunner(PrewarmLease lease, PrewarmCycle cycle, ILogger<PrewarmRunner> logger)
{
    private int _redisDown;

    public string Owner => lease.Owner;

    public async Task<PrewarmAttempt> TryRunAsync(CancellationToken stoppingToken)
    {
        bool leader;
        try
        {
            leader = await lease.TryAcquireAsync();
            if (Interlocked.Exchange(ref _redisDown, 0) == 1)
            {
                LogRedisBack();
            }
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Once per outage, not once per attempt.
            if (Interlocked.Exchange(ref _redisDown, 1) == 0)
            {
                LogRedisDown(exception.GetBaseException().Message);
            }
            return PrewarmAttempt.LeaseUnavailable;
        }

        if (!leader)
        {
            return PrewarmAttempt.NotLeader;
        }
        await cycle.RunAsync(stoppingToken);
        return PrewarmAttempt.Ran;
    }

    /// <summary>Releases the lease if held; a failure only means the lease expires on its own instead.</summary>
    public async Task ReleaseAsync()
    {
        try
        {
            await lease.ReleaseAsync();
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogReleaseFailed(exception.GetBaseException().Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prewarm paused: the lease in Redis is unreachable ({Reason}); retrying")]
    private partial void LogRedisDown(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Prewarm resumed: Redis is reachable again")]
    private partial void LogRedisBack();

    [LoggerMessage(Level = LogLevel.Information, Message = "Could not release the prewarm lease ({Reason}); it expires on its own")]
    private partial void LogReleaseFailed(string reason);
}
