using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using PeerMetrics.Api.Caching;
using PeerMetrics.Api.Data;
using ZiggyCreatures.Caching.Fusion;

namespace PeerMetrics.Api.Auth;

/// <summary>What a session cookie proved: the organization its user may read, or why it proved nothing.</summary>
public sealed record DjangoSessionCheck(Guid? OrganizationId, Guid? UserId, string? Refusal)
{
    public static DjangoSessionCheck Refused(string reason) => new(null, null, reason);
}

/// <summary>
/// Checks a Django session key the way Django's <c>get_user</c> does: the <c>django_session</c> row with that key
/// that has not expired, its data verified with the web app's secret, <c>_auth_user_id</c> naming an active user
/// whose password still matches <c>_auth_user_hash</c> (a password change logs out), and that user's organization
/// (whether it is active is checked for every credential alike, by <see cref="ActiveOrganizations"/>). Results, refusals included, are remembered in process memory for at most
/// <see cref="DjangoSessionOptions.RememberFor"/> and never past the session's expiry; a database outage is not
/// remembered (it surfaces as 503).
/// </summary>
public sealed class DjangoSessionResolver(
    IServiceScopeFactory scopes, IFusionCache cache, IOptions<DjangoSessionOptions> options, TimeProvider time)
{
    private const string SessionSql = """
        SELECT s.session_data AS "Data", s.expire_date AS "ExpireDate"
        FROM django_session s
        WHERE s.session_key = @key AND s.expire_date > now()
        """;

    private const string UserSql = """
        SELECT u.password AS "Password", u.organization_id AS "OrganizationId"
        FROM users u
        WHERE u.id = @user AND u.is_active
        """;

    // Django's session keys are 32 characters of [a-z0-9]; the column holds up to 40.
    private const int MaxKeyLength = 40;

    public async Task<DjangoSessionCheck> CheckAsync(string sessionKey, CancellationToken cancellationToken)
    {
        if (sessionKey.Length is 0 or > MaxKeyLength)
        {
            return DjangoSessionCheck.Refused("The session cookie is malformed.");
        }
        var settings = options.Value;
        if (settings.RememberFor <= TimeSpan.Zero)
        {
            return (await ReadAsync(sessionKey, settings.SecretKey!, cancellationToken)).Check;
        }
        var entry = cache.ProcessLocalOptions(settings.RememberFor);
        entry.IsFailSafeEnabled = false;
        entry.EagerRefreshThreshold = null;
        return await cache.GetOrSetAsync<DjangoSessionCheck>(
            CacheKey(sessionKey),
            async (context, token) =>
            {
                var (check, expires) = await ReadAsync(sessionKey, settings.SecretKey!, token);
                // Never remembered past the session's own expiry.
                if (expires is { } expiry && expiry - time.GetUtcNow() < settings.RememberFor)
                {
                    context.Options.Duration = TimeSpan.FromTicks(Math.Max(1, (expiry - time.GetUtcNow()).Ticks));
                }
                return check;
            },
            entry,
            cancellationToken);
    }

    private async Task<(DjangoSessionCheck Check, DateTimeOffset? Expires)> ReadAsync(
        string sessionKey, string secretKey, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>().Database;
        var session = await database
            .SqlQueryRaw<SessionRow>(SessionSql, new NpgsqlParameter<string>("key", sessionKey))
            .FirstOrDefaultAsync(cancellationToken);
        if (session is null)
        {
            return (DjangoSessionCheck.Refused("The session does not exist or has expired; sign in again."), null);
        }
        var expires = new DateTimeOffset(session.ExpireDate.ToUniversalTime(), TimeSpan.Zero);

        var data = DjangoSessionCodec.Decode(session.Data, secretKey);
        if (data is null)
        {
            return (DjangoSessionCheck.Refused("The session's signature does not verify."), expires);
        }
        if (!Guid.TryParse(StringValue(data, "_auth_user_id"), out var userId))
        {
            return (DjangoSessionCheck.Refused("The session belongs to no signed-in user."), expires);
        }

        var user = await database
            .SqlQueryRaw<UserRow>(UserSql, new NpgsqlParameter<Guid>("user", userId))
            .FirstOrDefaultAsync(cancellationToken);
        if (user?.OrganizationId is not { } organizationId)
        {
            return (DjangoSessionCheck.Refused("The session's user is inactive or belongs to no organization."), expires);
        }
        if (!DjangoSessionCodec.AuthHashMatches(StringValue(data, "_auth_user_hash"), user.Password, secretKey))
        {
            return (DjangoSessionCheck.Refused("The user's password has changed since this session signed in."), expires);
        }
        return (new DjangoSessionCheck(organizationId, userId, null), expires);
    }

    private static string? StringValue(System.Text.Json.Nodes.JsonObject data, string name) =>
        data[name] is System.Text.Json.Nodes.JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    // The key is a credential: only its hash becomes a cache key (cache keys can reach logs).
    private static string CacheKey(string sessionKey) =>
        "django-session:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sessionKey)));

    private sealed record SessionRow(string Data, DateTime ExpireDate);

    private sealed record UserRow(string Password, Guid? OrganizationId);
}
