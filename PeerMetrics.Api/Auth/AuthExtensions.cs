using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using PeerMetrics.Api.Problems;
using PeerMetrics.Tokens;

namespace PeerMetrics.Api.Auth;

public static class AuthExtensions
{
    /// <summary>A dashboard token: scoped to one organization.</summary>
    public const string DashboardPolicy = "dashboard";

    /// <summary>The Prewarmer's token: may refresh any app's summaries, carries no organization.</summary>
    public const string RefreshPolicy = "refresh";

    /// <summary>Summaries are read by dashboards and refreshed by the Prewarmer.</summary>
    public const string SummaryPolicy = "summary";

    /// <summary>
    /// JWT bearer (HS256) for every /v1 route. Outside Development a missing or short signing key stops the
    /// start-up with a clear message; in Development a fixed, well-known key keeps a bare <c>dotnet run</c> working.
    /// </summary>
    public static IHostApplicationBuilder AddPeerMetricsAuth(this IHostApplicationBuilder builder)
    {
        builder.AddTokenContract(builder.Environment.IsDevelopment() ? DevelopmentSigningKey : null);
        builder.Services.AddSingleton<ValidatedTokenCache>();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, ValidatedTokenCache>((jwt, auth, validatedTokens) =>
            {
                var settings = auth.Value;
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = settings.Issuer,
                    ValidAudience = settings.Audience,
                    IssuerSigningKey = TokenIssuer.SigningKey(settings),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                jwt.Events = new JwtBearerEvents
                {
                    OnMessageReceived = validatedTokens.OnMessageReceived,
                    OnTokenValidated = validatedTokens.OnTokenValidated,
                    // The contract's 401 is a problem+json body with error_code "unauthorized".
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        var problem = ApiProblems.Details(StatusCodes.Status401Unauthorized, ApiProblems.Unauthorized,
                            "A valid bearer token is required.");
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        await context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null,
                            "application/problem+json", context.HttpContext.RequestAborted);
                    },
                };
            });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(DashboardPolicy, policy => policy.RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.GetOrganizationId() is not null))
            .AddPolicy(RefreshPolicy, policy => policy.RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.HasRefreshScope()))
            .AddPolicy(SummaryPolicy, policy => policy.RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.GetOrganizationId() is not null || context.User.HasRefreshScope()));

        return builder;
    }

    // Only ever used when ASPNETCORE_ENVIRONMENT=Development and no key is configured.
    private const string DevelopmentSigningKey = "peermetrics-development-signing-key-not-for-production";
}
