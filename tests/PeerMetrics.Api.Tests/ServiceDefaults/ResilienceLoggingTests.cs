using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Polly;

namespace PeerMetrics.Api.Tests.ServiceDefaults;

/// <summary>
/// The service defaults' HTTP resilience logs nothing at Information for a request that succeeds, and still logs
/// a failing one at Warning — through a real Kestrel socket, with the handler every service's HttpClient gets.
/// </summary>
public sealed class ResilienceLoggingTests : IAsyncLifetime
{
    private const string ClientName = "probe";

    private WebApplication _server = null!;
    private IHost _client = null!;

    public async Task InitializeAsync()
    {
        var server = WebApplication.CreateSlimBuilder();
        server.WebHost.UseUrls("http://127.0.0.1:0");
        _server = server.Build();
        _server.MapGet("/ok", () => "ok");
        _server.MapGet("/fails", () => Results.StatusCode(StatusCodes.Status500InternalServerError));
        await _server.StartAsync();

        // No appsettings: the test bin holds a service's, whose log filters would decide instead of the defaults.
        var client = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        client.AddServiceDefaults();
        client.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddFakeLogging();
        // The defaults' retry delays, shortened so the failing request is quick; what is logged does not change.
        client.Services.Configure<HttpStandardResilienceOptions>($"{ClientName}-standard", options =>
        {
            options.Retry.Delay = TimeSpan.FromMilliseconds(1);
            options.Retry.BackoffType = DelayBackoffType.Constant;
        });
        _client = client.Build();
    }

    [Fact]
    public async Task A_successful_request_logs_nothing_from_polly_above_debug()
    {
        var response = await Client().GetAsync("/ok");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var polly = PollyRecords();
        Assert.Contains(polly, record => record.Level == LogLevel.Debug && record.Message.StartsWith("Execution attempt", StringComparison.Ordinal));
        Assert.DoesNotContain(polly, record => record.Level > LogLevel.Debug);
    }

    [Fact]
    public async Task A_failing_request_is_still_logged_at_warning()
    {
        var response = await Client().GetAsync("/fails");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var warnings = PollyRecords().Where(record => record.Level == LogLevel.Warning).Select(record => record.Message).ToList();
        Assert.Contains(warnings, message => message.StartsWith("Execution attempt", StringComparison.Ordinal) && message.Contains("'500'", StringComparison.Ordinal));
    }

    private HttpClient Client()
    {
        var client = _client.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
        client.BaseAddress = new Uri(_server.Urls.Single());
        return client;
    }

    private IReadOnlyList<FakeLogRecord> PollyRecords() =>
        [.. _client.Services.GetFakeLogCollector().GetSnapshot().Where(record => record.Category == "Polly")];

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }
}
