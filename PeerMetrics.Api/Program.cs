using PeerMetrics.Api;
using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Problems;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;

var builder = WebApplication.CreateBuilder(args);

if (args is ["seed", ..])
{
    return await SeedCommand.RunAsync(builder, args[1..]);
}
if (args is ["rollups", ..])
{
    return await RollupsCommand.RunAsync(builder, args[1..]);
}

builder.AddServiceDefaults();
builder.AddPeerMetricsDatabase();
builder.AddPeerMetricsAuth();
builder.AddSummaryCache();
builder.AddDemoData();
builder.AddRollups();
builder.AddPeerMetricsApi();
builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapPeerMetricsApi();

app.Run();
return 0;

/// <summary>Entry point type, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
