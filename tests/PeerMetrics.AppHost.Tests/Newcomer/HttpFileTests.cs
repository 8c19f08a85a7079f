using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using PeerMetrics.AppHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Newcomer;

/// <summary>
/// A newcomer's first calls: start the AppHost, copy the two lines the Api logged into PeerMetrics.Api.http,
/// send its requests. Every one answers as its title says.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed partial class HttpFileTests(AppHostFixture app, ITestOutputHelper output) : IDisposable
{
    private readonly IDisposable _logs = app.Logs.Attach(output);

    [Fact]
    public void The_http_file_points_at_the_port_the_apphost_gives_the_api()
    {
        var file = HttpFile.Read(RepositoryPaths.Of("PeerMetrics.Api", "PeerMetrics.Api.http"));
        var endpoint = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ProjectResource>().Single(r => r.Name == AppHostFixture.Api)
            .Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");

        // The tests let the orchestrator pick free ports; a developer's run uses the declared one.
        Assert.Equal(new Uri($"http://localhost:{endpoint.Port}"), new Uri(file.Variables["host"]));
    }

    [Fact]
    public void The_api_resource_links_the_interactive_api_reference_on_its_http_endpoint()
    {
        Assert.True(app.App.ResourceNotifications.TryGetCurrentState(AppHostFixture.Api, out var api));
        var endpoint = new Uri(Assert.Single(api.Snapshot.Urls, url => url.Name == "http" && url.DisplayProperties.DisplayName == "").Url);

        var reference = new Uri(Assert.Single(api.Snapshot.Urls, url => url.DisplayProperties.DisplayName == "API reference (Scalar)").Url);

        Assert.Equal(endpoint.GetLeftPart(UriPartial.Authority), reference.GetLeftPart(UriPartial.Authority));
        Assert.Equal("/scalar", reference.AbsolutePath);
    }

    [Fact]
    public async Task Every_request_in_the_http_file_answers_as_its_title_says_once_the_logged_lines_are_pasted()
    {
        await ResourceLogs.WaitForApiListeningAsync(app.App);
        var access = DemoAccess.Single(await ResourceLogs.ReadAsync(app.App, AppHostFixture.Api));
        using var api = app.App.CreateHttpClient(AppHostFixture.Api);
        var file = HttpFile.Read(RepositoryPaths.Of("PeerMetrics.Api", "PeerMetrics.Api.http")).With(new Dictionary<string, string>
        {
            ["host"] = api.BaseAddress!.ToString().TrimEnd('/'),
            ["token"] = access.Token,
            ["appId"] = access.AppId.ToString(),
        });
        Assert.NotEmpty(file.Requests);

        foreach (var request in file.Requests)
        {
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url);
            foreach (var (name, value) in request.Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await api.SendAsync(message);
            var expected = ExpectedStatus().Match(request.Title) is { Success: true } m ? (HttpStatusCode)int.Parse(m.Groups[1].Value) : HttpStatusCode.OK;
            output.WriteLine($"{(int)response.StatusCode} {request.Title}");
            Assert.True(expected == response.StatusCode, $"{request.Title}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task The_logged_dashboard_session_cookie_reads_the_demo_app_like_the_token()
    {
        await ResourceLogs.WaitForApiListeningAsync(app.App);
        var lines = await ResourceLogs.ReadAsync(app.App, AppHostFixture.Api);
        var access = DemoAccess.Single(lines);
        using var api = app.App.CreateHttpClient(AppHostFixture.Api);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/conferences/summary?appId={access.AppId}");
        request.Headers.Add("Cookie", DemoAccess.SessionCookie(lines));

        using var response = await api.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose() => _logs.Dispose();

    [GeneratedRegex(@"→ (\d{3})")]
    private static partial Regex ExpectedStatus();
}
