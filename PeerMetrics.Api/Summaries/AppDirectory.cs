using Microsoft.EntityFrameworkCore;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Summaries;

/// <summary>Answers "which organization owns this app?" — the tenant check every /v1 route makes.</summary>
public sealed class AppDirectory(PeerMetricsDbContext db)
{
    /// <summary>The owning organization of an active app, or null when there is no such app.</summary>
    public async Task<Guid?> FindOrganizationAsync(Guid appId, CancellationToken cancellationToken) =>
        await db.Apps.AsNoTracking()
            .Where(app => app.Id == appId && app.IsActive)
            .Select(app => (Guid?)app.OrganizationId)
            .FirstOrDefaultAsync(cancellationToken);
}
