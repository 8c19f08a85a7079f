using System.Text.Json;
using CliWrap;
using Microsoft.Extensions.DependencyInjection;

namespace PeerMetrics.AppHost.Tests.Deployment;

/// <summary>The AppHost's model in each infrastructure mode, built once and never started.</summary>
public sealed class ModelFixture : IAsyncLifetime
{
    public static readonly string[] Modes = ["local", "containers"];

    private readonly Dictionary<string, DistributedApplication> _apps = [];

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "peermetrics-apphost-tests", Guid.NewGuid().ToString("N"));

    public DistributedApplicationModel this[string mode] => _apps[mode].Services.GetRequiredService<DistributedApplicationModel>();

    public async Task InitializeAsync()
    {
        foreach (var mode in Modes)
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PeerMetrics_AppHost>(
            [
                $"Infrastructure:Mode={mode}",
                $"Infrastructure:DataDirectory={Path.Combine(Directory, mode)}",
                "Parameters:jwt-signing-key=container-mode-tests-0123456789abcdef0123456789",
            ]);
            _apps[mode] = await builder.BuildAsync();
        }
    }

    // Disposing a testing app can take its shutdown timeout even when it never started: both at once.
    public async Task DisposeAsync()
    {
        await Task.WhenAll(_apps.Values.Select(app => app.DisposeAsync().AsTask()));
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>
/// Container mode (<c>Infrastructure:Mode=containers</c>, and every publish) as a model: built, never started, so
/// no container runtime is needed. It must describe the same application as the local mode the other tests run.
/// </summary>
public sealed class ContainerModeTests(ModelFixture models) : IClassFixture<ModelFixture>
{
    // The versions the tests run on Debian 12, pinned in the AppHost.
    private const string PostgresImage = "docker.io/library/postgres:15.18";
    private const string RedisImage = "docker.io/library/redis:7.0.15";

    [Fact]
    public void Postgres_and_redis_are_containers_of_pinned_images_and_postgres_keeps_its_data_in_a_volume()
    {
        var model = models["containers"];

        var containers = model.Resources.OfType<ContainerResource>().ToDictionary(c => c.Name);
        Assert.Equal(["cache", "postgres"], containers.Keys.Order());
        Assert.Equal(PostgresImage, ImageOf(containers["postgres"]));
        Assert.Equal(RedisImage, ImageOf(containers["cache"]));
        Assert.DoesNotContain(model.Resources.OfType<ExecutableResource>(), r => r.Name is "postgres" or "redis");

        var volume = Assert.Single(containers["postgres"].Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(ContainerMountType.Volume, volume.Type);
        Assert.Equal("/var/lib/postgresql/data", volume.Target);
        Assert.False(string.IsNullOrEmpty(volume.Source));
        Assert.False(volume.IsReadOnly);
    }

    [Theory]
    [InlineData("local")]
    [InlineData("containers")]
    public async Task The_services_get_the_peermetrics_and_cache_connections_and_wait_for_them(string mode)
    {
        var model = models[mode];
        Assert.IsAssignableFrom<IResourceWithConnectionString>(model.Resources.Single(r => r.Name == "peermetrics"));
        Assert.IsAssignableFrom<IResourceWithConnectionString>(model.Resources.Single(r => r.Name == "cache"));

        var api = await ConnectionsOfAsync(model, "api");
        var prewarmer = await ConnectionsOfAsync(model, "prewarmer");

        Assert.Equal(new Dictionary<string, string>
        {
            ["ConnectionStrings__cache"] = "{cache.connectionString}",
            ["ConnectionStrings__peermetrics"] = "{peermetrics.connectionString}",
        }, api);
        Assert.Equal(new Dictionary<string, string> { ["ConnectionStrings__cache"] = "{cache.connectionString}" }, prewarmer);
        // Containers mode adds a wait for the server behind the database.
        Assert.Subset(WaitsOf(model, "api"), new HashSet<string> { "cache", "peermetrics" });
        Assert.Subset(WaitsOf(model, "prewarmer"), new HashSet<string> { "api", "cache" });
    }

    [Theory]
    [InlineData("local")]
    [InlineData("containers")]
    public void No_resource_serves_tls_so_a_run_needs_no_development_certificate(string mode)
    {
#pragma warning disable ASPIRECERTIFICATES001 // What decides the warning: Aspire's certificate annotations.
        // Aspire warns on the console and with a banner on the dashboard when a resource has an https endpoint or a
        // server certificate to configure and no trusted development certificate exists, as on a fresh machine.
        var servingTls = models[mode].Resources.Where(resource =>
            resource.Annotations.OfType<EndpointAnnotation>().Any(endpoint => endpoint.UriScheme == "https")
            || resource.Annotations.OfType<HttpsCertificateConfigurationCallbackAnnotation>().Any()
                && !(resource.TryGetLastAnnotation<HttpsCertificateAnnotation>(out var certificate)
                     && certificate.UseDeveloperCertificate is not true && certificate.Certificate is null));

        Assert.Empty(servingTls.Select(resource => resource.Name));
#pragma warning restore ASPIRECERTIFICATES001
    }

    [Fact]
    public async Task The_manifest_publisher_writes_both_containers_the_volume_and_both_services()
    {
        var output = Path.Combine(models.Directory, "manifest");
        var (exitCode, log) = await RunAsync("dotnet",
            ["run", "--project", RepositoryPaths.Of("PeerMetrics.AppHost"), "--no-build", "-c", Configuration,
             "--", "--publisher", "manifest", "--output-path", output]);
        Assert.True(exitCode == 0, log);

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "aspire-manifest.json")));
        var resources = manifest.RootElement.GetProperty("resources");

        var postgres = resources.GetProperty("postgres");
        Assert.Equal("container.v0", postgres.GetProperty("type").GetString());
        Assert.Equal(PostgresImage, postgres.GetProperty("image").GetString());
        Assert.Equal("/var/lib/postgresql/data", Assert.Single(postgres.GetProperty("volumes").EnumerateArray()).GetProperty("target").GetString());
        Assert.Equal("{postgres.connectionString};Database=peermetrics", resources.GetProperty("peermetrics").GetProperty("connectionString").GetString());
        var cache = resources.GetProperty("cache");
        Assert.Equal("container.v0", cache.GetProperty("type").GetString());
        Assert.Equal(RedisImage, cache.GetProperty("image").GetString());

        var api = resources.GetProperty("api");
        Assert.Equal("project.v0", api.GetProperty("type").GetString());
        var apiEnv = api.GetProperty("env");
        Assert.Equal("{peermetrics.connectionString}", apiEnv.GetProperty("ConnectionStrings__peermetrics").GetString());
        Assert.Equal("{cache.connectionString}", apiEnv.GetProperty("ConnectionStrings__cache").GetString());
        Assert.Equal("{jwt-signing-key.value}", apiEnv.GetProperty("Auth__SigningKey").GetString());
        // A deployment starts with an empty database: demo data is for runs on this machine.
        Assert.False(apiEnv.TryGetProperty("Database__SeedDemoData", out _));

        var prewarmerEnv = resources.GetProperty("prewarmer").GetProperty("env");
        Assert.Equal("{cache.connectionString}", prewarmerEnv.GetProperty("ConnectionStrings__cache").GetString());
        Assert.Equal("{api.bindings.http.url}", prewarmerEnv.GetProperty("services__api__http__0").GetString());
    }

    /// <summary>
    /// The connection strings a service is given, as the manifest writes them (references such as
    /// <c>{cache.connectionString}</c>, not the values of one run): its environment callbacks run for a publish.
    /// </summary>
    private static async Task<Dictionary<string, string>> ConnectionsOfAsync(DistributedApplicationModel model, string project)
    {
        var resource = model.Resources.OfType<ProjectResource>().Single(r => r.Name == project);
        var environment = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish),
            resource, environment);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        return environment.Where(e => e.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => e.Value is IManifestExpressionProvider expression ? expression.ValueExpression : $"{e.Value}");
    }

    private static HashSet<string> WaitsOf(DistributedApplicationModel model, string project) =>
        [.. model.Resources.Single(r => r.Name == project).Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name)];

    private static string ImageOf(ContainerResource container)
    {
        var image = Assert.Single(container.Annotations.OfType<ContainerImageAnnotation>());
        return $"{image.Registry}/{image.Image}:{image.Tag}";
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments)
    {
        var result = await LocalProcess.RunAsync(
            Cli.Wrap(fileName).WithArguments(arguments).WithValidation(CommandResultValidation.None), TimeSpan.FromMinutes(2));
        return (result.ExitCode, result.StandardOutput + result.StandardError);
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
}
