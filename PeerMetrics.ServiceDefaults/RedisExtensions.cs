using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class RedisExtensions
{
    /// <summary>
    /// A Redis client for services that keep working without Redis: it never blocks start-up, fails at once
    /// while disconnected (instead of queueing commands until a timeout) and does not make the service
    /// unhealthy, because Redis being down is something the service degrades around, not a reason to restart it.
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
            });
        return builder;
    }
}
