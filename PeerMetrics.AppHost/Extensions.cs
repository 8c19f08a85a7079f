using System.Globalization;
using CliWrap;
using Microsoft.Extensions.Configuration;

namespace PeerMetrics.AppHost;

/// <summary>How Postgres and Redis are provided; <c>Infrastructure:Mode</c> in configuration.</summary>
internal enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, otherwise local processes.</summary>
    Auto,
    Containers,
    Local,
}

internal static class Extensions
{
    public const string DatabaseName = "peermetrics";
    public const string CacheName = "cache";

    // Pinned rather than Aspire's defaults, which move with every Aspire release: the versions the tests run on
    // Debian 12 (Postgres 15, Redis 7.0), so a deployment runs what was tested. The local mode runs whatever is
    // installed instead (the newest Postgres, see LocalInfrastructure.FindBinaries).
    public const string PostgresImageTag = "15.18";
    public const string RedisImageTag = "7.0.15";

    /// <summary>
    /// Adds Postgres (database connection <c>peermetrics</c>) and Redis (connection <c>cache</c>), as containers or
    /// as local processes. Returns false, after printing what to install, when neither is possible: a missing
    /// prerequisite is a message for the developer, not a stack trace.
    /// </summary>
    public static bool TryAddInfrastructure(this IDistributedApplicationBuilder builder,
        out IResourceBuilder<IResourceWithConnectionString> database,
        out IResourceBuilder<IResourceWithConnectionString> cache)
    {
        database = null!;
        cache = null!;

        var mode = ReadMode(builder.Configuration);
        if (mode is null)
        {
            return Fail($"Infrastructure:Mode must be auto, containers or local (got '{builder.Configuration["Infrastructure:Mode"]}').");
        }

        // Publishing produces container manifests; local processes only make sense for a run on this machine.
        var useContainers = mode == InfrastructureMode.Containers
            || builder.ExecutionContext.IsPublishMode
            || (mode == InfrastructureMode.Auto && ContainerRuntimeAnswers());

        if (useContainers)
        {
            // The tag first: the data volume's mount path depends on the Postgres major version.
            database = builder.AddPostgres("postgres").WithImageTag(PostgresImageTag).WithDataVolume()
                .AddDatabase(DatabaseName).AsConnectionString(builder);
            cache = builder.AddRedis(CacheName).WithImageTag(RedisImageTag)
                .WithArgs(context => RedisMemoryLimit.AppendToContainerCommand(context, builder.Configuration))
                .WithoutDevelopmentCertificate()
                .AsConnectionString(builder);
            return true;
        }

        var binaries = LocalInfrastructure.FindBinaries(builder.Configuration);
        if (binaries.Missing.Count > 0)
        {
            var why = mode == InfrastructureMode.Local ? "" : "no container runtime (docker/podman) answered and ";
            return Fail(
                $"PeerMetrics needs Postgres and Redis: {why}no {string.Join(" or ", binaries.Missing)} binary was found. " +
                "Install them with `apt-get install -y postgresql redis-server` (or run .ci/install-deps), or start Docker/Podman.");
        }

        var dataDirectory = LocalInfrastructure.DataDirectory(builder);
        database = builder.AddLocalPostgres("postgres", DatabaseName, binaries.PostgresBin!, dataDirectory);
        cache = builder.AddLocalRedis("redis", CacheName, binaries.RedisServer!);
        return true;
    }

    /// <summary>
    /// Everything the application serves on this machine is plain HTTP or TCP on loopback, the dashboard included
    /// (launch profile <c>http</c>): a run needs no development certificate. Said per resource, because Aspire offers
    /// one to every project and to the Redis container and, when none is trusted (a fresh machine), shows an error
    /// banner on the dashboard.
    /// </summary>
    public static IResourceBuilder<T> WithoutDevelopmentCertificate<T>(this IResourceBuilder<T> resource)
        where T : IResourceWithEnvironment, IResourceWithArgs =>
#pragma warning disable ASPIRECERTIFICATES001 // Experimental in Aspire 13.6; the AppHost tests check its effect.
        resource.WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001

    /// <summary>
    /// The HS256 key shared by the Api (validates) and the Prewarmer (mints its refresh token). Generated on first
    /// run and kept in the AppHost's user secrets, so tokens stay valid across restarts; set
    /// <c>Parameters:jwt-signing-key</c> to choose it.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddJwtSigningKey(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);

    /// <summary>
    /// What serving the PeerMetrics web dashboard takes (README "Serving the PeerMetrics dashboard"): the web app's
    /// Django <c>SECRET_KEY</c>, so the Api accepts its session cookie (generated and kept in user secrets, like the
    /// signing key; set <c>Parameters:django-secret-key</c> to the web app's; a publish passes it only when set), and,
    /// when configured, the dashboard's
    /// origins (<c>Parameters:dashboard-origins</c>, comma-separated) and the peermetrics API the other /v1 routes
    /// are forwarded to (<c>Parameters:peermetrics-upstream</c>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDashboardDropIn(this IResourceBuilder<ProjectResource> api)
    {
        var builder = api.ApplicationBuilder;
        if (builder.ExecutionContext.IsRunMode)
        {
            api.WithEnvironment("Auth__DjangoSession__SecretKey",
                builder.AddParameter(DjangoSecretKey, new GenerateParameterDefault { MinLength = 50, Special = false }, secret: true, persist: true));
        }
        else if (Configured(builder, DjangoSecretKey))
        {
            // A deployment accepts sessions only when it is given the web app's own key.
            api.WithEnvironment("Auth__DjangoSession__SecretKey", builder.AddParameter(DjangoSecretKey, secret: true));
        }
        if (Configured(builder, DashboardOrigins))
        {
            api.WithEnvironment("Cors__Origins", builder.AddParameter(DashboardOrigins));
        }
        if (Configured(builder, PeermetricsUpstream))
        {
            api.WithEnvironment("Api__Upstream", builder.AddParameter(PeermetricsUpstream));
        }
        return api;
    }

    private static bool Configured(IDistributedApplicationBuilder builder, string parameter) =>
        !string.IsNullOrWhiteSpace(builder.Configuration[$"Parameters:{parameter}"]);

    public const string DjangoSecretKey = "django-secret-key";
    public const string DashboardOrigins = "dashboard-origins";
    public const string PeermetricsUpstream = "peermetrics-upstream";

    /// <summary>
    /// How many Api processes run side by side: <c>Api:Replicas</c>, 1 by default. They share the database and the
    /// cache; the dashboard and the <c>api</c> endpoint balance requests across them.
    /// </summary>
    public static bool TryReadApiReplicas(this IDistributedApplicationBuilder builder, out int replicas)
    {
        var configured = builder.Configuration["Api:Replicas"];
        if (string.IsNullOrEmpty(configured))
        {
            replicas = 1;
            return true;
        }
        return int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out replicas) && replicas >= 1
            || Fail($"Api:Replicas must be a whole number of at least 1 (got '{configured}').");
    }

    /// <summary>
    /// A run on this machine starts with demo data; its size is <c>Database:DemoDataScale</c> of the AppHost. A
    /// deployment (publish mode) starts with an empty database.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDemoData(this IResourceBuilder<ProjectResource> api)
    {
        if (!api.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return api;
        }
        var scale = api.ApplicationBuilder.Configuration.GetValue("Database:DemoDataScale", 0.1);
        return api
            .WithEnvironment("Database__SeedDemoData", "true")
            .WithEnvironment("Database__DemoDataScale", scale.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The Api's interactive reference (Scalar, served in Development), linked from its dashboard entry.</summary>
    public static IResourceBuilder<ProjectResource> WithApiReference(this IResourceBuilder<ProjectResource> api) =>
        api.WithUrlForEndpoint("http", _ => new ResourceUrlAnnotation { Url = "/scalar", DisplayText = "API reference (Scalar)" });

    private static InfrastructureMode? ReadMode(IConfiguration configuration) =>
        configuration["Infrastructure:Mode"] switch
        {
            null or "" => InfrastructureMode.Auto,
            var value when Enum.TryParse<InfrastructureMode>(value, ignoreCase: true, out var mode) => mode,
            _ => null,
        };

    internal static IResourceBuilder<IResourceWithConnectionString> AsConnectionString<T>(this IResourceBuilder<T> resource,
        IDistributedApplicationBuilder builder) where T : IResourceWithConnectionString =>
        builder.CreateResourceBuilder<IResourceWithConnectionString>(resource.Resource);

    /// <summary>
    /// A runtime "answers" when its CLI can reach its daemon within a few seconds. A client without a daemon (as on
    /// CI machines) fails fast, and a hung daemon must not hold up the start.
    /// </summary>
    private static bool ContainerRuntimeAnswers()
    {
        var preferred = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        string[] runtimes = string.IsNullOrEmpty(preferred) ? ["docker", "podman"] : [preferred];
        // The AppHost's model is built synchronously, before anything else runs: blocking here waits for nothing else.
        return runtimes.Any(runtime => AnswersAsync(runtime).GetAwaiter().GetResult());
    }

    private static async Task<bool> AnswersAsync(string runtime)
    {
        // Past the timeout the CLI is killed; its output is drained and dropped.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var result = await Cli.Wrap(runtime).WithArguments(["info"]).WithValidation(CommandResultValidation.None)
                .ExecuteAsync(timeout.Token);
            return result.IsSuccess;
        }
        catch (Exception exception) when (exception is OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Hung, or not installed.
            return false;
        }
    }

    private static bool Fail(string message)
    {
        Console.Error.WriteLine(message);
        return false;
    }
}
