using PeerMetrics.Api;
using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Forwarding;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Problems;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;

var builder = WebApplication.CreateBuilder(args);

if (ApiCommandLine.IsCommand(args))
{
    return await ApiCommandLine.RunAsync(builder, args);
}

builder.AddServiceDefaults();
builder.AddRequestLimits();
builder.AddDashboardCors();
builder.AddPeerMetricsDatabase();
builder.Services.AddHostedService<DatabaseInitializer>();
builder.AddPeerMetricsAuth();
builder.AddSummaryCache();
builder.AddDemoData();
builder.AddRollups();
builder.AddPeerMetricsApi();
builder.AddUpstreamForwarding();
builder.AddProblemResponses();
builder.AddApiReference();

var app = builder.Build();

app.UseDashboardCors();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseActiveOrganizations();
app.UseAuthorization();

app.MapApiReference();
app.MapDefaultEndpoints();
app.MapPeerMetricsApi();
app.MapUpstreamForwarding();

try
{
    app.Run();
}
catch (DatabaseSchemaException)
{
    // The host has logged it, once and without a stack trace; the exit code tells the orchestrator.
    return 1;
}
return 0;

/// <summary>Entry point type, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
