using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PeerMetrics.Tokens;

namespace PeerMetrics.Api.Auth;

/// <summary>
/// The <c>DjangoSession</c> scheme: a request carrying the web app's session cookie is authenticated as a dashboard
/// of the session user's organization (the same <c>org</c> claim a dashboard token carries), so every route and
/// tenant check treats both credentials alike.
/// </summary>
public sealed class DjangoSessionHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    DjangoSessionResolver sessions,
    IOptions<DjangoSessionOptions> settings)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "DjangoSession";

    /// <summary>The claim of the Django user behind the session (for logs and traces).</summary>
    public const string UserClaim = "sub";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Cookies.TryGetValue(settings.Value.CookieName, out var sessionKey))
        {
            return AuthenticateResult.NoResult();
        }
        var check = await sessions.CheckAsync(sessionKey, Context.RequestAborted);
        if (check.OrganizationId is not { } organizationId)
        {
            return AuthenticateResult.Fail(check.Refusal ?? "The session was refused.");
        }
        var identity = new ClaimsIdentity(
            [
                new Claim(PeerMetricsClaims.Organization, organizationId.ToString()),
                new Claim(UserClaim, check.UserId?.ToString() ?? string.Empty),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        AuthExtensions.WriteUnauthorizedAsync(Context,
            Context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Failure?.Message
            ?? "A valid session or bearer token is required.");
}
