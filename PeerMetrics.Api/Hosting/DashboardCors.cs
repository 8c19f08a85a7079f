using Microsoft.Extensions.Options;

namespace PeerMetrics.Api.Hosting;

/// <summary>
/// <c>Cors:Origins</c>: the web dashboard's origins (e.g. <c>https://app.peermetrics.io</c>). Each entry may also
/// hold several origins separated by commas, so one environment variable (<c>Cors__Origins</c>) can list them all.
/// </summary>
public sealed class CorsSettings
{
    public const string SectionName = "Cors";

    public string[] Origins { get; set; } = [];

    /// <summary>The listed origins, each trimmed and without a trailing slash (browsers send none).</summary>
    public IReadOnlyList<string> AllowedOrigins() =>
        Origins.SelectMany(entry => entry.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Select(origin => origin.TrimEnd('/'))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
}

/// <summary>
/// CORS for the PeerMetrics web dashboard, which calls this service from its own origin with
/// <c>credentials: "include"</c> (its Django session cookie). Credentials forbid a wildcard, so only the listed
/// origins get CORS headers; none listed means no CORS at all. The headers are added when the response starts,
/// so error answers (401, 404, 429, 5xx) carry them too and the page sees the status instead of a network error.
/// </summary>
public static class DashboardCors
{
    /// <summary>Headers the page may read: the cache outcome and when to retry after a 429.</summary>
    public static readonly string[] ExposedHeaders = ["X-Cache", "Retry-After"];

    /// <summary>Preflights are cached by the browser for this long (Chromium caps it at two hours).</summary>
    public static readonly TimeSpan PreflightMaxAge = TimeSpan.FromHours(2);

    public static IHostApplicationBuilder AddDashboardCors(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CorsSettings>()
            .BindConfiguration(CorsSettings.SectionName)
            // Cors__Origins=… in the environment is a value of the section itself, which binding a list ignores.
            .Configure<IConfiguration>((settings, configuration) =>
            {
                if (configuration[$"{CorsSettings.SectionName}:{nameof(CorsSettings.Origins)}"] is { Length: > 0 } list)
                {
                    settings.Origins = [.. settings.Origins, list];
                }
            })
            .Validate(settings => settings.AllowedOrigins().All(IsOrigin),
                "Cors:Origins must list origins such as https://dashboard.example.com (scheme, host and optional port; no path, no wildcard).")
            .ValidateOnStart();
        builder.Services.AddCors();
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<CorsSettings>>((cors, settings) => cors.AddDefaultPolicy(policy =>
            {
                var origins = settings.Value.AllowedOrigins();
                // Any method and header: forwarded routes (PUT /v1/apps/<id>, JSON bodies) go through the same policy.
                policy.WithOrigins([.. origins])
                    .AllowCredentials()
                    .AllowAnyMethod()
                    .AllowAnyHeader()
                    .WithExposedHeaders(ExposedHeaders)
                    .SetPreflightMaxAge(PreflightMaxAge);
            }));
        return builder;
    }

    /// <summary>First in the pipeline, so that every answer, the exception handler's included, gets the headers.</summary>
    public static IApplicationBuilder UseDashboardCors(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<IOptions<CorsSettings>>().Value.AllowedOrigins().Count == 0
            ? app
            : app.UseCors();

    private static bool IsOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https"
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
        && !origin.Contains('*', StringComparison.Ordinal);
}
