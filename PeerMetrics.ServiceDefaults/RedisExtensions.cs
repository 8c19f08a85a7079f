using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class RedisExtensions
{
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
