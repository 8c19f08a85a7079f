using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Npgsql;

namespace PeerMetrics.Testing;

/// <summary>
/// Users and signed-in sessions as the peermetrics web app leaves them in its database: a <c>users</c> row and a
/// <c>django_session</c> row whose data real Django encoded (<see cref="DjangoSessions"/>).
/// </summary>
public static class DjangoLogins
{
    /// <summary>The web app's SECRET_KEY in tests (Auth:DjangoSession:SecretKey).</summary>
    public const string SecretKey = "django-insecure-tests-7c1f0e2a9b4d6e8f0a1b2c3d4e5f6a7b";

    public const string Password = "pbkdf2_sha256$260000$testsalt$0123456789abcdefABCDEF0123456789abcdefABCDEF=";

    /// <summary>The Api settings that turn the session check on, remembering checks for <paramref name="rememberFor"/>.</summary>
    public static Dictionary<string, string?> Settings(TimeSpan? rememberFor = null) => new()
    {
        ["Auth:DjangoSession:SecretKey"] = SecretKey,
        ["Auth:DjangoSession:RememberFor"] = (rememberFor ?? TimeSpan.FromSeconds(30)).ToString("c"),
    };

    public static async Task<Guid> AddUserAsync(string connectionString, Guid? organizationId, bool active = true,
        string password = Password)
    {
        var id = Guid.NewGuid();
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO users (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                               date_joined, id, last_active, notifications, is_verified, days_filter, usage, created_at, organization_id)
            VALUES (@password, NULL, false, @username, '', '', '', false, @active, now(), @id, NULL, NULL, true, 30, 0, now(), @organization)
            """, connection);
        insert.Parameters.AddWithValue("password", password);
        insert.Parameters.AddWithValue("username", "user-" + id.ToString("N"));
        insert.Parameters.AddWithValue("active", active);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("organization", organizationId is { } org ? org : DBNull.Value);
        await insert.ExecuteNonQueryAsync();
        return id;
    }

    /// <summary>Signs <paramref name="userId"/> in as Django's login() would; returns the session cookie's value.</summary>
    public static async Task<string> SignInAsync(string connectionString, Guid userId, DjangoSessionFormat format,
        TimeSpan? expiresIn = null, string password = Password, string secretKey = SecretKey)
    {
        var hashes = await DjangoSessions.SessionAuthHashesAsync(password, secretKey);
        var data = await DjangoSessions.EncodeAsync(new JsonObject
        {
            ["_auth_user_id"] = userId.ToString(),
            ["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend",
            // The hash of the Django version that wrote the format: SHA-1 before 3.1, SHA-256 since.
            ["_auth_user_hash"] = format == DjangoSessionFormat.Legacy ? hashes.Sha1 : hashes.Sha256,
        }, secretKey, format);
        return await AddSessionAsync(connectionString, data, expiresIn ?? TimeSpan.FromDays(14));
    }

    /// <summary>A <c>django_session</c> row holding <paramref name="sessionData"/> as it is; returns its key.</summary>
    public static async Task<string> AddSessionAsync(string connectionString, string sessionData, TimeSpan expiresIn)
    {
        var key = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 32);
        await using var connection = await TestDatabase.OpenAsync(connectionString);
        await using var insert = new NpgsqlCommand(
            "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (@key, @data, now() + @expires)", connection);
        insert.Parameters.AddWithValue("key", key);
        insert.Parameters.AddWithValue("data", sessionData);
        insert.Parameters.AddWithValue("expires", expiresIn);
        await insert.ExecuteNonQueryAsync();
        return key;
    }
}
