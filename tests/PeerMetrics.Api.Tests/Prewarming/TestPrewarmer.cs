using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PeerMetrics.Prewarmer;

namespace PeerMetrics.Api.Tests.Prewarming;

/// <summary>
/// A Prewarmer wired exactly as in production (<see cref="PrewarmerExtensions.AddPrewarmer"/>), except that its
/// Api client talks to the in-process Api. Tests drive <see cref="Runner"/> cycle by cycle, or start the host
/// to run the real loop.
/// </summary>
public sealed class TestPrewarmer : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly FakeLoggerProvider _logs = new();
    private bool _started;

    public TestPrewarmer(ApiFactory api, string redisConnectionString, string leaseKey,
        IReadOnlyDictionary<string, string?>? settings = null, bool useApi = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:cache"] = redisConnectionString,
            ["Auth:SigningKey"] = ApiFactory.SigningKey,
            ["Prewarm:ApiBaseAddress"] = useApi ? api.Server.BaseAddress.ToString() : "http://127.0.0.1:9",
            ["Prewarm:LeaseKey"] = leaseKey,
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Logging.AddProvider(_logs);
        builder.AddPrewarmer();
        if (useApi)
        {
            builder.Services.AddHttpClient(PrewarmCycle.HttpClientName)
                .ConfigurePrimaryHttpMessageHandler(() => api.Server.CreateHandler());
        }
        _host = builder.Build();
        Runner = _host.Services.GetRequiredService<PrewarmRunner>();
    }

    public PrewarmRunner Runner { get; }

    public FakeLogCollector Logs => _logs.Collector;

    /// <summary>Runs the real loop (the worker) until <see cref="StopAsync"/>.</summary>
    public async Task StartAsync()
    {
        await _host.StartAsync();
        _started = true;
    }

    /// <summary>A clean shutdown: the worker stops and releases its lease.</summary>
    public async Task StopAsync()
    {
        if (_started)
        {
            await _host.StopAsync();
            _started = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
        _logs.Dispose();
    }
}
