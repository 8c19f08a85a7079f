using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class RedisExtensions
{
    /// <summary>
    /// Where every service reads the prefix of its Redis keys (the Api's summary entries and backplane channel,
    /// the Prewarmer's lease), so two environments or applications sharing a Redis never read each other's keys.
    /// </summary>
    public const string KeyPrefixSetting = "SummaryCache:KeyPrefix";

    /// <summary>
    /// The default prefix: the application's name and the cached body format's version (a change of the body
    /// format moves to new keys instead of reading entries in the old format).
    /// </summary>
    public const string DefaultKeyPrefix = "peermetrics:v2:";

    /// <summary>The configured Redis key prefix (<see cref="KeyPrefixSetting"/>), <see cref="DefaultKeyPrefix"/> when unset.</summary>
    public static string RedisKeyPrefix(this Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        configuration[KeyPrefixSetting] ?? DefaultKeyPrefix;

    /// <summary>
    /// A Redis client for services that keep working without Redis: it never blocks start-up, fails at once
    /// while disconnected (instead of queueing commands until a timeout) and does not make the service
    /// unhealthy, because Redis being down is something the service degrades around, not a reason to restart it.
    /// The client's own log stays off: it logs an error per reconnect attempt, every few seconds of an outage, and
    /// its informational lines narrate every connect. The services report an outage themselves, once.
    /// </summary>
    public static TBuilder AddOptionalRedisClient<TBuilder>(this TBuilder builder, string connectionName)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddRedisClient(connectionName,
            settings => settings.DisableHealthChecks = true,
            redis =>
            {
                redis.AbortOnConnectFail = false;
                redis.BacklogPolicy = BacklogPolicy.FailFast;
                redis.ConnectTimeout = 2000;
                redis.SyncTimeout = 1000;
                redis.AsyncTimeout = 1000;
                redis.LoggerFactory = NullLoggerFactory.Instance;
            });
        return builder;
    }
}
