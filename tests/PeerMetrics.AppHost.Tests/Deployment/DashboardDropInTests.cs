using Microsoft.Extensions.DependencyInjection;

namespace PeerMetrics.AppHost.Tests.Deployment;

/// <summary>
/// The AppHost hands the Api what serving the web dashboard takes (README "Serving the PeerMetrics dashboard"): the
/// Django secret always in a run, the dashboard's origins and the upstream only when configured. Models only, never
/// started.
/// </summary>
public sealed class DashboardDropInTests
{
    [Fact]
    public async Task Configured_origins_upstream_and_secret_reach_the_api_as_its_settings()
    {
        var environment = await ApiEnvironmentAsync(
            "Parameters:dashboard-origins=https://app.example.com,http://localhost:8080",
            "Parameters:peermetrics-upstream=http://localhost:8000",
            "Parameters:django-secret-key=the-web-apps-django-secret-key");

        Assert.Equal("https://app.example.com,http://localhost:8080", environment["Cors__Origins"]);
        Assert.Equal("http://localhost:8000", environment["Api__Upstream"]);
        Assert.Equal("the-web-apps-django-secret-key", environment["Auth__DjangoSession__SecretKey"]);
    }

    [Fact]
    public async Task Unconfigured_a_run_gets_a_generated_secret_and_neither_origins_nor_upstream()
    {
        var environment = await ApiEnvironmentAsync();

        Assert.False(environment.ContainsKey("Cors__Origins"));
        Assert.False(environment.ContainsKey("Api__Upstream"));
        Assert.True(environment["Auth__DjangoSession__SecretKey"].Length >= 50);
    }

    /// <summary>The Api's environment in a run of the AppHost given <paramref name="settings"/>, parameters resolved.</summary>
    private static async Task<Dictionary<string, string>> ApiEnvironmentAsync(params string[] settings)
    {
        var directory = Path.Combine(Path.GetTempPath(), "peermetrics-apphost-tests", Guid.NewGuid().ToString("N"));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PeerMetrics_AppHost>(
        [
            "Infrastructure:Mode=local",
            $"Infrastructure:DataDirectory={directory}",
            "Parameters:jwt-signing-key=dashboard-drop-in-tests-0123456789abcdef01234",
            .. settings,
        ]);
        await using var app = await builder.BuildAsync();
        var api = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>()
            .Single(r => r.Name == "api");
        var values = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run),
            api, values);
        foreach (var callback in api.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        var environment = new Dictionary<string, string>();
        foreach (var (name, value) in values)
        {
            environment[name] = value is ParameterResource parameter ? (await parameter.GetValueAsync(default))! : $"{value}";
        }
        return environment;
    }
}
