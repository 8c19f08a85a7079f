using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Seeding;

/// <summary>
/// Signs a demo user in the way the web app would: a <c>users</c> row of the demo organization (created once) and
/// a new <c>django_session</c> row whose data Django itself would accept, so the dashboard's cookie can be tried
/// against a development Api without running Django.
/// </summary>
public static class DemoSession
{
    public const string Username = "demo";

    // An unusable password in Django's sense ("!" prefix): the demo user can only come in through this session.
    private const string UnusablePassword = "!peermetrics-demo-user";

    private const string UserSql = """
        INSERT INTO users (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                           date_joined, id, last_active, notifications, is_verified, days_filter, usage, created_at, organization_id)
        VALUES (@password, NULL, false, @username, 'Demo', 'User', 'demo@example.com', false, true,
                now(), @id, NULL, NULL, true, 30, 0, now(), @organization)
        ON CONFLICT (username) DO UPDATE SET organization_id = EXCLUDED.organization_id, is_active = true
        RETURNING id, password
        """;

    private const string SessionSql = """
        INSERT INTO django_session (session_key, session_data, expire_date) VALUES (@key, @data, @expires)
        """;

    /// <summary>The new session's key: the value of the web app's session cookie.</summary>
    public static async Task<string> SignInAsync(PeerMetricsDbContext db, Guid organizationId, string secretKey,
        TimeSpan lifetime, TimeProvider time, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            Guid userId;
            string password;
            await using (var user = new NpgsqlCommand(UserSql, connection))
            {
                user.Parameters.AddWithValue("password", UnusablePassword);
                user.Parameters.AddWithValue("username", Username);
                user.Parameters.AddWithValue("id", Guid.NewGuid());
                user.Parameters.AddWithValue("organization", organizationId);
                await using var reader = await user.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                (userId, password) = (reader.GetGuid(0), reader.GetString(1));
            }

            var key = NewSessionKey();
            var data = new JsonObject
            {
                ["_auth_user_id"] = userId.ToString(),
                ["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend",
                ["_auth_user_hash"] = DjangoSessionCodec.AuthHash(password, secretKey),
            };
            await using (var session = new NpgsqlCommand(SessionSql, connection))
            {
                session.Parameters.AddWithValue("key", key);
                session.Parameters.AddWithValue("data", DjangoSessionCodec.Encode(data, secretKey, time));
                session.Parameters.AddWithValue("expires", time.GetUtcNow().UtcDateTime + lifetime);
                await session.ExecuteNonQueryAsync(cancellationToken);
            }
            return key;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // Django's own shape: 32 characters of [a-z0-9].
    private static string NewSessionKey() =>
        RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 32);
}
