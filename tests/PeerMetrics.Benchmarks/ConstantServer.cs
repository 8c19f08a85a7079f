using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// The speed of light: a slim ASP.NET Core app that returns constant bytes with constant headers (those of a
/// response of the Api, so both put the same bytes on the wire), measured in the same run.
/// </summary>
public static class ConstantServer
{
    public static WebApplication Start(int port, byte[] body, IReadOnlyDictionary<string, string> headers)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapGet("/constant", (HttpResponse response) =>
        {
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }
            return Results.Bytes(body, "application/json; charset=utf-8");
        });
        app.StartAsync().GetAwaiter().GetResult();
        return app;
    }
}
