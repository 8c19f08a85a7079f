using ZiggyCreatures.Caching.Fusion;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// FusionCache's logger, less its Redis weather report: it logs every change of its circuit breakers around Redis
/// and every failed backplane auto-recovery at Warning (a fixed level), so an outage under traffic meant warnings
/// every few seconds, and a backplane subscription that fails while Redis cannot be reached (at start-up, before the
/// client has connected) at Error. <see cref="RedisOutageLogger"/> reports the outage once; these lines go to Debug.
/// Everything else FusionCache logs keeps its level and its category.
/// </summary>
internal sealed class FusionCacheLogger(ILoggerFactory loggers) : ILogger<FusionCache>
{
    private static readonly string[] RedisStateChanges = ["temporarily de-activated", "activated again", "stopped auto-recovery"];

    private const string BackplaneSubscription = "while subscribing to a backplane";

    private readonly ILogger _inner = loggers.CreateLogger<FusionCache>();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => _inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if ((logLevel == LogLevel.Warning && IsRedisStateChange(state))
            || (logLevel == LogLevel.Error && exception is StackExchange.Redis.RedisConnectionException
                && Template(state)?.Contains(BackplaneSubscription, StringComparison.Ordinal) == true))
        {
            logLevel = LogLevel.Debug;
            if (!_inner.IsEnabled(logLevel))
            {
                return;
            }
        }
        _inner.Log(logLevel, eventId, state, exception, formatter);
    }

    private static bool IsRedisStateChange<TState>(TState state) =>
        Template(state) is { } template && RedisStateChanges.Any(change => template.Contains(change, StringComparison.Ordinal));

    private static string? Template<TState>(TState state) =>
        state is IReadOnlyList<KeyValuePair<string, object?>> values
            ? values.FirstOrDefault(value => value.Key == "{OriginalFormat}").Value as string
            : null;
}
