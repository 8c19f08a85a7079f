namespace PeerMetrics.Api.Auth;

/// <summary>
/// <c>Auth:DjangoSession</c>: authentication by the PeerMetrics web app's Django session cookie, beside the bearer
/// token. Off unless <see cref="SecretKey"/> is set.
/// </summary>
public sealed class DjangoSessionOptions
{
    public const string SectionName = "Auth:DjangoSession";

    /// <summary>The longest a validated (or refused) session may be remembered: a logout takes effect within it.</summary>
    public static readonly TimeSpan MaximumRememberFor = TimeSpan.FromSeconds(60);

    /// <summary>The web app's Django <c>SECRET_KEY</c>, which signs its sessions.</summary>
    public string? SecretKey { get; set; }

    /// <summary>The web app's <c>SESSION_COOKIE_NAME</c>.</summary>
    public string CookieName { get; set; } = "pmsession";

    /// <summary>How long a session's check is remembered before the database is asked again.</summary>
    public TimeSpan RememberFor { get; set; } = TimeSpan.FromSeconds(30);

    public bool Enabled => !string.IsNullOrEmpty(SecretKey);
}
