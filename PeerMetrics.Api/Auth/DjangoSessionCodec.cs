using System.Buffers.Text;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerMetrics.Api.Auth;

/// <summary>
/// Reads and writes Django's <c>django_session.session_data</c> and checks <c>_auth_user_hash</c>, as Django's
/// <c>contrib.sessions</c> (JSON serializer) and <c>contrib.auth</c> do, so a Django session can authenticate here.
/// Two formats: the signed one Django &gt;= 3.1 writes (<c>signing.dumps</c>, HMAC-SHA256) and the legacy one
/// Django &lt; 3.1 wrote (and 3.x with <c>DEFAULT_HASHING_ALGORITHM = "sha1"</c>): base64 of an HMAC-SHA1 hex digest,
/// a colon and the JSON.
/// </summary>
public static class DjangoSessionCodec
{
    /// <summary>Longer session data is refused unread (Django's sessions are a few hundred bytes).</summary>
    public const int MaxSessionDataLength = 64 * 1024;

    /// <summary>Compressed session data that inflates past this is refused.</summary>
    public const int MaxDecompressedLength = 1024 * 1024;

    // SessionBase.key_salt: "django.contrib.sessions." + the store's __qualname__, "SessionStore" in every backend.
    private const string SigningSalt = "django.contrib.sessions.SessionStore";

    // SessionBase._hash before 3.1: the module and the class name concatenated without a dot.
    private const string LegacySalt = "django.contrib.sessionsSessionStore";

    // AbstractBaseUser.get_session_auth_hash and _legacy_get_session_auth_hash.
    private const string AuthHashSalt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";

    // django.utils.baseconv.BASE62_ALPHABET, for the signed format's timestamp.
    private const string Base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>
    /// The session dictionary when <paramref name="sessionData"/> verifies under <paramref name="secretKey"/>
    /// (either format), else null (tampered, wrong key, malformed, not a JSON object). Never throws on bad input.
    /// </summary>
    public static JsonObject? Decode(string sessionData, string secretKey)
    {
        if (string.IsNullOrEmpty(sessionData) || sessionData.Length > MaxSessionDataLength || secretKey is null)
        {
            return null;
        }
        try
        {
            // Django tries the signed format first, then the legacy one. They cannot be confused: the signed
            // format has two colons, which base64 never contains.
            var json = sessionData.Contains(':') ? SignedPayload(sessionData, secretKey) : LegacyPayload(sessionData, secretKey);
            return json is null ? null : SessionObject(json);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidDataException or ArgumentException
                                      or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// <paramref name="session"/> as <c>session_data</c> in the signed format Django &gt;= 3.1 writes
    /// (what the demo seeding writes), timestamped now.
    /// </summary>
    public static string Encode(JsonObject session, string secretKey, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(secretKey);
        ArgumentNullException.ThrowIfNull(time);

        // ASCII, as Django's own JSON is: the default encoder escapes every non-ASCII character (Django reads Latin-1).
        var json = Encoding.ASCII.GetBytes(session.ToJsonString());
        // signing.dumps(compress=True) keeps the compressed form only when it saves more than a byte.
        var compressed = Compress(json);
        var payload = compressed.Length < json.Length - 1
            ? "." + Base64Url.EncodeToString(compressed)
            : Base64Url.EncodeToString(json);
        var value = payload + ":" + Base62(time.GetUtcNow().ToUnixTimeSeconds());
        return value + ":" + Signature(value, secretKey);
    }

    /// <summary>
    /// Django's check of <c>_auth_user_hash</c> against the user's current password hash (<c>users.password</c>):
    /// true when <paramref name="sessionHash"/> equals <c>get_session_auth_hash()</c> under SHA-256 (Django &gt;= 3.1)
    /// or SHA-1 (Django &lt; 3.1 / legacy).
    /// </summary>
    public static bool AuthHashMatches(string? sessionHash, string passwordHash, string secretKey)
    {
        // django.contrib.auth.get_user: a missing or empty hash never verifies.
        if (string.IsNullOrEmpty(sessionHash) || passwordHash is null || secretKey is null)
        {
            return false;
        }
        var given = Encoding.UTF8.GetBytes(sessionHash);
        var sha256 = Encoding.ASCII.GetBytes(AuthHash(passwordHash, secretKey));
        var sha1 = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(
            SaltedHmac(HashAlgorithmName.SHA1, AuthHashSalt, secretKey, Encoding.UTF8.GetBytes(passwordHash))));
        // Both compared every time, so the timing does not tell which one matched.
        return CryptographicOperations.FixedTimeEquals(given, sha256) | CryptographicOperations.FixedTimeEquals(given, sha1);
    }

    /// <summary><c>get_session_auth_hash()</c> as Django &gt;= 3.1 computes it (SHA-256); used by demo seeding.</summary>
    public static string AuthHash(string passwordHash, string secretKey)
    {
        ArgumentNullException.ThrowIfNull(passwordHash);
        ArgumentNullException.ThrowIfNull(secretKey);
        return Convert.ToHexStringLower(
            SaltedHmac(HashAlgorithmName.SHA256, AuthHashSalt, secretKey, Encoding.UTF8.GetBytes(passwordHash)));
    }

    /// <summary>The JSON bytes of signed-format session data ("payload:timestamp:signature"), when the signature holds.</summary>
    private static byte[]? SignedPayload(string sessionData, string secretKey)
    {
        // Signer.unsign: the signature follows the last colon and covers everything before it.
        var signatureAt = sessionData.LastIndexOf(':');
        var value = sessionData[..signatureAt];
        var given = Encoding.UTF8.GetBytes(sessionData[(signatureAt + 1)..]);
        if (!CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Signature(value, secretKey))))
        {
            return null;
        }

        // TimestampSigner.unsign: then the timestamp, which sessions never check against a maximum age
        // (expire_date does that) but Django still parses.
        var timestampAt = value.LastIndexOf(':');
        if (timestampAt < 0 || !IsBase62(value.AsSpan(timestampAt + 1)))
        {
            return null;
        }
        var payload = value.AsSpan(0, timestampAt);
        // A leading dot marks zlib-compressed JSON.
        return payload.StartsWith('.')
            ? Decompress(Base64Url.DecodeFromChars(payload[1..]))
            : Base64Url.DecodeFromChars(payload);
    }

    /// <summary>The JSON bytes of legacy session data (base64 of "hexdigest:json"), when the digest holds.</summary>
    private static byte[]? LegacyPayload(string sessionData, string secretKey)
    {
        var decoded = new byte[sessionData.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64String(sessionData, decoded, out var length))
        {
            return null;
        }
        var bytes = decoded.AsSpan(0, length);
        var colon = bytes.IndexOf((byte)':');
        if (colon < 0)
        {
            return null;
        }
        var serialized = bytes[(colon + 1)..];
        var expected = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(
            SaltedHmac(HashAlgorithmName.SHA1, LegacySalt, secretKey, serialized)));
        return CryptographicOperations.FixedTimeEquals(bytes[..colon], expected) ? serialized.ToArray() : null;
    }

    /// <summary>The session dictionary, or null when the JSON is anything but an object.</summary>
    private static JsonObject? SessionObject(byte[] json)
    {
        // Django's JSONSerializer decodes the bytes as Latin-1 (its JSON is ASCII, non-ASCII being \u-escaped).
        if (JsonNode.Parse(Encoding.Latin1.GetString(json)) is not JsonObject session)
        {
            return null;
        }
        // JsonNode builds objects lazily; build them all now, so a duplicate key fails here and not in the caller.
        Materialize(session);
        return session;
    }

    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    Materialize(child);
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Materialize(child);
                }
                break;
        }
    }

    /// <summary>django.utils.crypto.salted_hmac: HMAC keyed with hash(key_salt + secret).</summary>
    private static byte[] SaltedHmac(HashAlgorithmName algorithm, string keySalt, string secret, ReadOnlySpan<byte> value)
    {
        var keyMaterial = Encoding.UTF8.GetBytes(keySalt + secret);
        if (algorithm == HashAlgorithmName.SHA1)
        {
            return HMACSHA1.HashData(SHA1.HashData(keyMaterial), value);
        }
        return HMACSHA256.HashData(SHA256.HashData(keyMaterial), value);
    }

    /// <summary>Signer.signature for the sessions' salt: unpadded URL-safe base64 of the salted HMAC-SHA256.</summary>
    private static string Signature(string value, string secretKey) =>
        Base64Url.EncodeToString(SaltedHmac(HashAlgorithmName.SHA256, SigningSalt + "signer", secretKey, Encoding.UTF8.GetBytes(value)));

    private static string Base62(long number)
    {
        if (number == 0)
        {
            return "0";
        }
        var digits = new StringBuilder();
        for (var rest = Math.Abs(number); rest > 0; rest /= 62)
        {
            digits.Insert(0, Base62Digits[(int)(rest % 62)]);
        }
        return number < 0 ? "-" + digits : digits.ToString();
    }

    /// <summary>What baseconv.base62.decode accepts: an optional minus sign, then base-62 digits.</summary>
    private static bool IsBase62(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }
        if (text[0] == '-')
        {
            text = text[1..];
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    private static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        // Python's zlib.compress defaults to level 6, which is what Optimal is.
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }
        return output.ToArray();
    }

    /// <summary>Inflates zlib data, refusing more than <see cref="MaxDecompressedLength"/> bytes of output.</summary>
    private static byte[]? Decompress(byte[] data)
    {
        using var zlib = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = zlib.Read(buffer)) > 0)
        {
            if (output.Length + read > MaxDecompressedLength)
            {
                return null;
            }
            output.Write(buffer, 0, read);
        }
        return output.ToArray();
    }
}
