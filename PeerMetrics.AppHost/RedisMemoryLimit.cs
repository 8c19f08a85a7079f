using Microsoft.Extensions.Configuration;

namespace PeerMetrics.AppHost;

/// <summary>
/// The AppHost's Redis runs with a memory limit and an eviction policy, so the cache cannot grow without bound:
/// <c>Redis:MaxMemory</c> (default <c>256mb</c>) and <c>Redis:MaxMemoryPolicy</c> (default <c>allkeys-lru</c>: every
/// key is a cache entry or the Prewarmer's lease, all of them safe to lose).
/// </summary>
internal static class RedisMemoryLimit
{
    public const string DefaultMaxMemory = "256mb";
    public const string DefaultPolicy = "allkeys-lru";

    public static string[] Arguments(IConfiguration configuration) =>
        ["--maxmemory", configuration["Redis:MaxMemory"] ?? DefaultMaxMemory,
         "--maxmemory-policy", configuration["Redis:MaxMemoryPolicy"] ?? DefaultPolicy];

    /// <summary>
    /// Aspire starts the Redis container as <c>/bin/sh -c "redis-server …"</c>: the limit is appended to that
    /// command (arguments after it would only be the shell's positional parameters). Without a shell command, the
    /// arguments go to redis-server directly.
    /// </summary>
    public static void AppendToContainerCommand(CommandLineArgsCallbackContext context, IConfiguration configuration)
    {
        var flags = string.Join(' ', Arguments(configuration));
        var shell = context.Args.IndexOf("-c");
        if (shell >= 0 && shell + 1 < context.Args.Count)
        {
            context.Args[shell + 1] = context.Args[shell + 1] switch
            {
                string command => $"{command} {flags}",
                ReferenceExpression command => ReferenceExpression.Create($"{command} {flags}"),
                var other => other,
            };
        }
        else
        {
            // Arguments given to redis-server directly.
            foreach (var argument in Arguments(configuration))
            {
                context.Args.Add(argument);
            }
        }
    }
}
