using System.Security.Claims;

namespace PeerMetrics.Tokens;

/// <summary>The claims of a PeerMetrics token.</summary>
public static class PeerMetricsClaims
{
    /// <summary>The organization UUID every dashboard token is scoped to.</summary>
    public const string Organization = "org";

    /// <summary>Space-separated scopes; dashboard tokens carry none.</summary>
    public const string Scope = "scope";

    /// <summary>The scope the Prewarmer needs to force a summary refresh.</summary>
    public const string RefreshScope = "summaries:refresh";

    public static bool HasRefreshScope(this ClaimsPrincipal user) =>
        user.FindFirstValue(Scope)?.Split(' ').Contains(RefreshScope) == true;

    public static Guid? GetOrganizationId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(Organization), out var id) ? id : null;
}
