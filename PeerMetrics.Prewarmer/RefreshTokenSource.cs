using PeerMetrics.Tokens;

namespace PeerMetrics.Prewarmer;

/// <summary>
/// The Prewarmer's own refresh-scoped token, minted with the key the Api validates and reused until it is close
/// to expiring.
/// </summary>
public sealed class RefreshTokenSource(TokenIssuer issuer, TimeProvider time)
{
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
                    _current = current = (issuer.CreateRefreshToken(Lifetime), now + Lifetime);
                }
                return current.Token;
            }
        }
    }
}
