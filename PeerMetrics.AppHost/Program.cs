using PeerMetrics.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres and Redis come from containers when a container runtime answers, otherwise from the locally
// installed binaries (Infrastructure:Mode, see Extensions.cs and the README).
if (!builder.TryAddInfrastructure(out var database, out var cache))
{
    return 1;
}

var jwtSigningKey = builder.AddJwtSigningKey("jwt-signing-key");

var api = builder.AddProject<Projects.PeerMetrics_Api>("api")
    .WithReference(database).WaitFor(database)
    .WithReference(cache).WaitFor(cache)
    .WithEnvironment("Auth__SigningKey", jwtSigningKey)
    .WithDemoData(builder.Configuration)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.PeerMetrics_Prewarmer>("prewarmer")
    .WithReference(api).WaitFor(api)
    .WithReference(cache).WaitFor(cache)
    .WithEnvironment("Auth__SigningKey", jwtSigningKey);

builder.Build().Run();
return 0;
