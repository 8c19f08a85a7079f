using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Data;
using PeerMetrics.Tokens;
using ZiggyCreatures.Caching.Fusion;

namespace PeerMetrics.Api.Summaries;

/// <summary>
/// Answers "which organization owns this app?" — the tenant check every /v1 route makes. Ownership is kept
/// in process memory for a minute (never in Redis): it almost never changes, and a warm summary request
/// should not need a database round trip, nor fail while the database is briefly down.
/// A singleton: a request whose answer is cached resolves nothing; only a lookup opens a scope for its DbContext.
/// </summary>
public sealed class AppDirectory(IServiceScopeFactory scopes, IFusionCache cache)
{
    private static readonly TimeSpan OwnershipDuration = TimeSpan.FromSeconds(60);

    private readonly FusionCacheEntryOptions _ownershipOptions = cache.ProcessLocalOptions(OwnershipDuration);

    /// <summary>
    /// The tenant rule of every /v1 route: the organization <paramref name="user"/> reads <paramref name="appId"/>
    /// under — its owner, when the caller belongs to it — or null. Another organization's app is answered exactly
    /// like a missing one, so its existence is not revealed. The Prewarmer's refresh token is tied to no
    /// organization: it reads under the owner.
    /// </summary>
    public async ValueTask<Guid?> ReadableOwnerAsync(ClaimsPrincipal user, Guid appId, CancellationToken cancellationToken)
    {
        var owner = await FindOrganizationAsync(appId, cancellationToken);
        return owner is { } organization && (user.HasRefreshScope() || user.GetOrganizationId() == organization) ? organization : null;
    }

    /// <summary>The owning organization of an active app, or null when there is no such app.</summary>
    public async ValueTask<Guid?> FindOrganizationAsync(Guid appId, CancellationToken cancellationToken) =>
        await cache.GetOrSetAsync<Guid?>(
            $"app-owner:{appId:N}",
            async (_, token) =>
            {
                await using var scope = scopes.CreateAsyncScope();
                return await scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>().Apps.AsNoTracking()
                    .Where(app => app.Id == appId && app.IsActive)
                    .Select(app => (Guid?)app.OrganizationId)
                    .FirstOrDefaultAsync(token);
            },
            options: _ownershipOptions,
            token: cancellationToken);
}
