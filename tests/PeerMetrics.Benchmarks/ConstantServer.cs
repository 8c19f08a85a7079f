using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PeerMetrics.Benchmarks;

/// <summary>The speed of light: a slim ASP.NET Core app that returns constant bytes, measured in the same run.</summary>
public static class ConstantServer
{
    public static WebApplication Start(int port, byte[] body)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapGet("/constant", () => Results.Bytes(body, "application/json; charset=utf-8"));
        app.StartAsync().GetAwaiter().GetResult();
        return app;
    }
}
