using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace PeerMetrics.Api.Caching;

public static class SummaryCacheExtensions
{
    public const string RedisConnectionName = "cache";

    /// <summary>
    /// Registers the summary cache: FusionCache with an in-memory level, Redis as the shared level, and a
    /// Redis backplane so every Api replica drops its memory copy when another replica writes a key.
    /// </summary>
    public static IHostApplicationBuilder AddSummaryCache(this IHostApplicationBuilder builder)
    {
        // The Api answers correctly without Redis, only colder.
        builder.AddOptionalRedisClient(RedisConnectionName);

        builder.Services.AddOptions<SummaryCacheOptions>().BindConfiguration(SummaryCacheOptions.SectionName)
            .Validate(o => o.MaxMemoryEntries >= 1 && o.KeyPrefix is not null && !o.KeyPrefix.Any(char.IsWhiteSpace),
                "SummaryCache: MaxMemoryEntries must be at least 1; KeyPrefix must not contain whitespace.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SummaryCacheMetrics>();
        builder.Services.AddSingleton<SummaryCache>();
        builder.Services.AddSingleton<MemoryLevel>();
        builder.Services.AddHostedService<RedisOutageLogger>();
        builder.Services.AddSingleton<ILogger<FusionCache>, FusionCacheLogger>();

        builder.Services.AddFusionCache()
            .WithOptions((services, fusion) =>
            {
                var settings = services.GetRequiredService<IOptions<SummaryCacheOptions>>().Value;
                // Redis keys are our prefix and our readable keys (no FusionCache wire-format prefix).
                fusion.DistributedCacheKeyModifierMode = CacheKeyModifierMode.None;
                fusion.CacheKeyPrefix = settings.KeyPrefix;
                fusion.BackplaneChannelPrefix = settings.KeyPrefix + "backplane";
                fusion.DistributedCacheCircuitBreakerDuration = settings.RedisCircuitBreakerDuration;
                fusion.BackplaneCircuitBreakerDuration = settings.RedisCircuitBreakerDuration;
                fusion.ReThrowOriginalExceptions = true;
                // An outage is logged once by RedisOutageLogger, not once per request.
                fusion.DistributedCacheErrorsLogLevel = LogLevel.Debug;
                fusion.BackplaneErrorsLogLevel = LogLevel.Debug;
                fusion.FailSafeActivationLogLevel = LogLevel.Information;
                // A failed compute is logged once, classified, by the request's error handler.
                fusion.FactoryErrorsLogLevel = LogLevel.Debug;
                fusion.DefaultEntryOptions = new FusionCacheEntryOptions
                {
                    Duration = settings.Ttl,
                    // Every entry counts 1 towards MaxMemoryEntries; options made with Duplicate() keep it.
                    Size = 1,
                    IsFailSafeEnabled = true,
                    FailSafeMaxDuration = settings.Ttl + settings.FailSafeMaxDuration,
                    FailSafeThrottleDuration = TimeSpan.FromSeconds(5),
                    // Redis writes never delay a response.
                    AllowBackgroundDistributedCacheOperations = true,
                    AllowBackgroundBackplaneOperations = true,
                    DistributedCacheSoftTimeout = TimeSpan.FromMilliseconds(250),
                    DistributedCacheHardTimeout = TimeSpan.FromSeconds(1),
                };
            })
            .WithMemoryCache(services => services.GetRequiredService<MemoryLevel>().Cache)
            // IncludeFields: FusionCache checks at start-up that its serializer round-trips value tuples, and warns otherwise.
            .WithSerializer(new FusionCacheSystemTextJsonSerializer(new System.Text.Json.JsonSerializerOptions { IncludeFields = true }))
            .WithDistributedCache(services => new RedisCache(Options.Create(new RedisCacheOptions
            {
                ConnectionMultiplexerFactory = () => Task.FromResult(services.GetRequiredService<IConnectionMultiplexer>()),
            })))
            .WithBackplane(services => new RedisBackplane(Options.Create(new RedisBackplaneOptions
            {
                ConnectionMultiplexerFactory = () => Task.FromResult(services.GetRequiredService<IConnectionMultiplexer>()),
            }), services.GetRequiredService<ILogger<RedisBackplane>>()));

        // FusionCache's own spans are left out on purpose: two per request (tenant check and summary) cost a
        // measurable share of a cache hit, and the request span already carries cache.hit.
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics.AddMeter(SummaryCacheMetrics.MeterName, FusionCacheDiagnostics.MeterName));

        return builder;
    }
}
