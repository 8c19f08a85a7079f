using System.Runtime.CompilerServices;
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

    public static bool HasRefreshScope(this ClaimsPrincipal user) => Read(user).Refresh;

    public static Guid? GetOrganizationId(this ClaimsPrincipal user) => Read(user).Organization;

    private sealed record TokenClaims(Guid? Organization, bool Refresh);

    // Read once per authenticated principal, which is never changed once authenticated (a validated token's is
    // reused across requests), where every request asks several times and each claim search allocated.
    private static readonly ConditionalWeakTable<ClaimsPrincipal, TokenClaims> Parsed = new();

    private static TokenClaims Read(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? Parsed.GetValue(user, Parse) : Parse(user);

    private static TokenClaims Parse(ClaimsPrincipal user) => new(
        Guid.TryParse(user.FindFirstValue(Organization), out var id) ? id : null,
        user.FindFirstValue(Scope)?.Split(' ').Contains(RefreshScope) == true);
}
