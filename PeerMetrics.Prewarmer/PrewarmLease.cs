using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace PeerMetrics.Prewarmer;

/// <summary>
/// A Redis lease that lets one Prewarmer replica run each cycle. The holder extends it every cycle; when
/// the holder dies the lease simply expires (one interval plus a margin after its last renewal) and the
/// next replica to ask gets it; a holder that stops cleanly releases it at once.
/// </summary>
public sealed class PrewarmLease(IConnectionMultiplexer redis, IOptions<PrewarmOptions> options, IConfiguration configuration)
{
    /// <summary>The lease's Redis key: the shared key prefix (<c>SummaryCache:KeyPrefix</c>) and <c>Prewarm:LeaseKey</c>.</summary>
    public string Key { get; } = configuration.RedisKeyPrefix() + options.Value.LeaseKey;

    // Extend only if we still own it: a plain PEXPIRE could extend a lease another replica took over.
    private const string ExtendScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    // Delete only if we still own it, for the same reason.
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    /// <summary>Unique per process instance, readable in Redis when diagnosing who holds the lease.</summary>
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>Extends the lease if this instance holds it, else takes it if nobody does.</summary>
    public async Task<bool> TryAcquireAsync()
    {
        var settings = options.Value;
        var database = redis.GetDatabase();
        var ttl = (long)settings.LeaseDuration.TotalMilliseconds;

        var extended = (long)await database.ScriptEvaluateAsync(ExtendScript, [Key], [Owner, ttl]);
        return extended == 1
            || await database.StringSetAsync(Key, Owner, settings.LeaseDuration, When.NotExists);
    }

    /// <summary>Gives the lease up so another replica takes over without waiting for it to expire.</summary>
    public async Task ReleaseAsync()
    {
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [Key], [Owner]);
    }
}
