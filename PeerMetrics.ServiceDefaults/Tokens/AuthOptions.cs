namespace PeerMetrics.Tokens;

/// <summary>
/// The token contract's settings, bound from the <c>Auth</c> section (env <c>Auth__SigningKey</c>, …) by every
/// process that signs or validates tokens: the Api, the Prewarmer, the seed command and the tests.
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    public const int MinimumKeyBytes = 32;

    /// <summary>HS256 key, at least <see cref="MinimumKeyBytes"/> bytes of UTF-8.</summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "peermetrics";

    public string Audience { get; set; } = "peermetrics-api";

    public bool HasValidKey => System.Text.Encoding.UTF8.GetByteCount(SigningKey ?? string.Empty) >= MinimumKeyBytes;
}
