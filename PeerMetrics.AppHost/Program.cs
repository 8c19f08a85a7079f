using PeerMetrics.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres and Redis come from containers when a container runtime answers, otherwise from the locally
// installed binaries (Infrastructure:Mode, see Extensions.cs and the README).
if (!builder.TryAddInfrastructure(out var database, out var cache) || !builder.TryReadApiReplicas(out var apiReplicas))
{
    return 1;
}

var jwtSigningKey = builder.AddJwtSigningKey("jwt-signing-key");

// Replicas migrate and seed in turn (a database lock in the Api), so any number can start at once.
var api = builder.AddProject<Projects.PeerMetrics_Api>("api")
    .WithReplicas(apiReplicas)
    .WithReference(database).WaitFor(database)
    .WithReference(cache).WaitFor(cache)
    .WithEnvironment("Auth__SigningKey", jwtSigningKey)
    .WithDemoData()
    .WithDashboardDropIn()
    .WithApiReference()
    .WithHttpHealthCheck("/health")
    .WithoutDevelopmentCertificate();

builder.AddProject<Projects.PeerMetrics_Prewarmer>("prewarmer")
    .WithReference(api).WaitFor(api)
    .WithReference(cache).WaitFor(cache)
    .WithEnvironment("Auth__SigningKey", jwtSigningKey)
    .WithoutDevelopmentCertificate();

builder.Build().Run();
return 0;
