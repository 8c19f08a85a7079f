using PeerMetrics.Prewarmer;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddHostedService<PrewarmWorker>();

builder.Build().Run();
