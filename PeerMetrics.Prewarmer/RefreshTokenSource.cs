using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PeerMetrics.Prewarmer;

/// <summary>The Api's JWT settings, read from the same <c>Auth</c> section (env <c>Auth__SigningKey</c>, …).</summary>
public sealed class RefreshTokenOptions
{
    public const string SectionName = "Auth";

    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "peermetrics";

    public string Audience { get; set; } = "peermetrics-api";
}

/// <summary>
/// Mints the Prewarmer's own refresh-scoped token (claim <c>scope=summaries:refresh</c>, no organization) with
/// the key the Api validates, and reuses it until it is close to expiring.
/// </summary>
public sealed class RefreshTokenSource(IOptions<RefreshTokenOptions> options, TimeProvider time)
{
    public const string Scope = "summaries:refresh";

    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    // Renewed well before expiry, so a token never expires between being read and being validated.
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private (string Token, DateTimeOffset Expires)? _current;

    public string Current
    {
        get
        {
            var now = time.GetUtcNow();
            lock (_gate)
            {
                if (_current is not { } current || current.Expires - now < RenewBefore)
                {
                    _current = current = (Create(now), now + Lifetime);
                }
                return current.Token;
            }
        }
    }

    private string Create(DateTimeOffset now)
    {
        var settings = options.Value;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            Subject = new ClaimsIdentity([new Claim("scope", Scope)]),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + Lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(settings.SigningKey ?? string.Empty)),
                SecurityAlgorithms.HmacSha256),
        });
    }
}
