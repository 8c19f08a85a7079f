using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace PeerMetrics.Prewarmer;

public static class PrewarmerExtensions
{
    public const string RedisConnectionName = "cache";

    /// <summary>
    /// Registers the prewarm loop: options, the refresh token, the Redis lease, the Api client, telemetry and
    /// the worker. Tests call it too, then run <see cref="PrewarmRunner"/> by hand.
    /// </summary>
    public static IHostApplicationBuilder AddPrewarmer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PrewarmOptions>()
            .BindConfiguration(PrewarmOptions.SectionName)
            .Validate(o => o.Interval > TimeSpan.Zero && o.RetryInterval > TimeSpan.Zero && o.MaxConcurrency >= 1,
                "Prewarm:Interval and Prewarm:RetryInterval must be positive and Prewarm:MaxConcurrency at least 1.")
            .ValidateOnStart();
        builder.AddTokenContract();

        // Without Redis there is no lease, so prewarming pauses until it is back.
        builder.AddOptionalRedisClient(RedisConnectionName);

        builder.Services.AddSingleton<PrewarmTelemetry>();
        builder.Services.AddSingleton<RefreshTokenSource>();
        builder.Services.AddSingleton<PrewarmLease>();
        builder.Services.AddSingleton<PrewarmCycle>();
        builder.Services.AddSingleton<PrewarmRunner>();
        builder.Services.AddHostedService<PrewarmWorker>();

        var api = builder.Services.AddHttpClient(PrewarmCycle.HttpClientName, (services, client) =>
            client.BaseAddress = services.GetRequiredService<IOptions<PrewarmOptions>>().Value.ApiBaseAddress);
        // The service defaults' handler would retry three times within a 30 s budget: a whole cycle's period
        // spent on one request. One quick retry within the request timeout and a half is enough; the next
        // cycle is the real retry.
#pragma warning disable EXTEXP0001 // Experimental, but the documented way to replace the defaults' handler for one client.
        api.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        api.AddStandardResilienceHandler()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider services) =>
            {
                var timeout = services.GetRequiredService<IOptions<PrewarmOptions>>().Value.RequestTimeout;
                resilience.AttemptTimeout.Timeout = timeout;
                resilience.TotalRequestTimeout.Timeout = timeout * 1.5;
                resilience.Retry.MaxRetryAttempts = 1;
                resilience.Retry.Delay = TimeSpan.FromMilliseconds(200);
                resilience.CircuitBreaker.SamplingDuration = timeout * 2;
            });

        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(PrewarmTelemetry.Name))
            .WithMetrics(metrics => metrics.AddMeter(PrewarmTelemetry.Name));

        return builder;
    }
}
