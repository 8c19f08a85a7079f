namespace PeerMetrics.Api.Auth;

/// <summary>JWT settings, bound from the <c>Auth</c> section (env <c>Auth__SigningKey</c>, …).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>HS256 key, at least 32 bytes of UTF-8.</summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "peermetrics";

    public string Audience { get; set; } = "peermetrics-api";

    public const int MinimumKeyBytes = 32;
}
