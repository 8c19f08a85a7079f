using Microsoft.AspNetCore.Authentication;
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
    /// What issues and describes credentials (the token contract and the Django session settings), without the
    /// request authentication: the seed command prints demo credentials and serves no request.
    /// </summary>
    public static IHostApplicationBuilder AddPeerMetricsCredentials(this IHostApplicationBuilder builder)
    {
        builder.AddTokenContract(builder.Environment.IsDevelopment() ? DevelopmentSigningKey : null);
        builder.Services.AddOptions<DjangoSessionOptions>()
            .BindConfiguration(DjangoSessionOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.CookieName) && o.RememberFor >= TimeSpan.Zero
                    && o.RememberFor <= DjangoSessionOptions.MaximumRememberFor,
                $"Auth:DjangoSession: CookieName must be set and RememberFor between 0 and {DjangoSessionOptions.MaximumRememberFor.TotalSeconds} s.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// JWT bearer (HS256) for every /v1 route. Outside Development a missing or short signing key stops the
    /// start-up with a clear message; in Development a fixed, well-known key keeps a bare <c>dotnet run</c> working.
    /// </summary>
    public static IHostApplicationBuilder AddPeerMetricsAuth(this IHostApplicationBuilder builder)
    {
        builder.AddPeerMetricsCredentials();
        builder.Services.AddSingleton<ValidatedTokenCache>();
        builder.Services.AddSingleton<ActiveOrganizations>();
        builder.Services.AddSingleton<DjangoSessionResolver>();

        // Bearer tokens are the default scheme. Without an Authorization header, a request that carries the web app's
        // session cookie (when sessions are on) is forwarded to the session handler; with neither, the bearer scheme
        // answers the challenge. Forwarding from the bearer handler itself, rather than through a policy scheme in
        // front of both, keeps a dashboard's token request to one authentication handler.
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer()
            .AddScheme<AuthenticationSchemeOptions, DjangoSessionHandler>(DjangoSessionHandler.SchemeName, null);
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, ValidatedTokenCache, IOptions<DjangoSessionOptions>>((jwt, auth, validatedTokens, sessionOptions) =>
            {
                var settings = auth.Value;
                var sessions = sessionOptions.Value;
                jwt.ForwardDefaultSelector = context =>
                    context.Request.Headers.Authorization.Count == 0 && sessions.Enabled && context.Request.Cookies.ContainsKey(sessions.CookieName)
                        ? DjangoSessionHandler.SchemeName
                        : null;
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
                    OnChallenge = context =>
                    {
                        context.HandleResponse();
                        return WriteUnauthorizedAsync(context.HttpContext, "A valid bearer token is required.");
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

    /// <summary>
    /// After authentication: a request of an inactive organization is refused with the contract's 401 on every route
    /// that requires authorization (<see cref="ActiveOrganizations"/>).
    /// </summary>
    public static IApplicationBuilder UseActiveOrganizations(this IApplicationBuilder app)
    {
        var organizations = app.ApplicationServices.GetRequiredService<ActiveOrganizations>();
        return app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>() is not null
                && context.User.GetOrganizationId() is { } organizationId
                && !await organizations.IsActiveAsync(organizationId, context.RequestAborted))
            {
                await WriteUnauthorizedAsync(context, "The organization is not active.");
                return;
            }
            await next(context);
        });
    }

    /// <summary>The contract's 401: a problem+json body with error_code "unauthorized".</summary>
    internal static Task WriteUnauthorizedAsync(HttpContext http, string detail) =>
        ApiProblems.WriteAsync(http, StatusCodes.Status401Unauthorized, ApiProblems.Unauthorized, detail);

    // Only ever used when ASPNETCORE_ENVIRONMENT=Development and no key is configured.
    private const string DevelopmentSigningKey = "peermetrics-development-signing-key-not-for-production";
}
