using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PeerMetrics.Tokens;

/// <summary>Signs tokens with the configured key, so a token it mints works against an Api with the same settings.</summary>
public sealed class TokenIssuer(IOptions<AuthOptions> options, TimeProvider time)
{
    /// <summary>A dashboard token: scoped to one organization.</summary>
    public string CreateOrganizationToken(Guid organizationId, TimeSpan lifetime) =>
        Create(new Claim(PeerMetricsClaims.Organization, organizationId.ToString()), lifetime);

    /// <summary>The Prewarmer's token: may refresh any app's summaries, carries no organization.</summary>
    public string CreateRefreshToken(TimeSpan lifetime) =>
        Create(new Claim(PeerMetricsClaims.Scope, PeerMetricsClaims.RefreshScope), lifetime);

    private string Create(Claim claim, TimeSpan lifetime)
    {
        var settings = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            Subject = new ClaimsIdentity([claim]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(SigningKey(settings), SecurityAlgorithms.HmacSha256),
        });
    }

    public static SymmetricSecurityKey SigningKey(AuthOptions settings) =>
        new(Encoding.UTF8.GetBytes(settings.SigningKey ?? string.Empty));
}
