using PeerMetrics.Prewarmer;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddPrewarmer();

builder.Build().Run();
