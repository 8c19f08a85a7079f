using Microsoft.EntityFrameworkCore;
using PeerMetrics.Api.Data;
using PeerMetrics.Tokens;
using PeerMetrics.Api.Caching;
using ZiggyCreatures.Caching.Fusion;

namespace PeerMetrics.Api.Auth;

/// <summary>
/// Inactive organizations read nothing: a request authenticated for an organization whose
/// <c>organization.is_active</c> is false answers 401 on every route that requires authorization, whatever the
/// credential (a dashboard token, even one <see cref="ValidatedTokenCache"/> already knows, or a Django session).
/// The flag is kept in process memory for <see cref="CheckInterval"/> (never in Redis), like app ownership in
/// the summaries' <c>AppDirectory</c>: a deactivation takes effect within that time. The Prewarmer's refresh
/// token has no organization and is not affected; forwarded routes are the upstream's to authorize.
/// </summary>
public sealed class ActiveOrganizations(IServiceScopeFactory scopes, IFusionCache cache)
{
    /// <summary>How long an organization's flag is remembered.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(30);

    private readonly FusionCacheEntryOptions _entryOptions = cache.ProcessLocalOptions(CheckInterval);

    /// <summary>
    /// False only for an organization row with <c>is_active = false</c>. An organization without a row owns no
    /// app, so it reads nothing anyway.
    /// </summary>
    public async ValueTask<bool> IsActiveAsync(Guid organizationId, CancellationToken cancellationToken) =>
        await cache.GetOrSetAsync<bool>(
            $"org-active:{organizationId:N}",
            async (_, token) =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var active = await scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>().Organizations.AsNoTracking()
                    .Where(organization => organization.Id == organizationId)
                    .Select(organization => (bool?)organization.IsActive)
                    .FirstOrDefaultAsync(token);
                return active ?? true;
            },
            options: _entryOptions,
            token: cancellationToken);
}
