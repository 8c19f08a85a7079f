using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PeerMetrics.Api.Auth;

/// <summary>Signs tokens with the configured key, so a token it prints works against an Api with the same config.</summary>
public sealed class TokenIssuer(IOptions<AuthOptions> options, TimeProvider time)
{
    public string CreateOrganizationToken(Guid organizationId, TimeSpan lifetime) =>
        Create(new Claim(PeerMetricsClaims.Organization, organizationId.ToString()), lifetime);

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

    internal static SymmetricSecurityKey SigningKey(AuthOptions settings) =>
        new(Encoding.UTF8.GetBytes(settings.SigningKey ?? string.Empty));
}
