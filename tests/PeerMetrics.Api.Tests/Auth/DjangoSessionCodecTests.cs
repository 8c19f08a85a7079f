using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PeerMetrics.Api.Auth;

namespace PeerMetrics.Api.Tests.Auth;

/// <summary>
/// Django's session_data and session auth hash, checked against real Django (Debian's python3-django 3.2): what
/// Django writes we read, what we write Django reads, and anything altered or foreign reads as no session.
/// </summary>
public sealed partial class DjangoSessionCodecTests
{
    // Non-ASCII on purpose: Django takes the key's UTF-8 bytes.
    private const string Secret = "django-insecure-k7#x!peermetrics-test-sécret";
    private const string OtherSecret = "django-insecure-some-other-project";
    private const string PasswordHash = "pbkdf2_sha256$260000$Qz1TQ8kY2dSbNn4w$6c7lFq0Oq2hJ9u0XyQm4XkO1jK3vR2b8Yw5sT1nLp0E=";

    private static JsonObject LoginSession() => new()
    {
        ["_auth_user_id"] = "42",
        ["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend",
        ["_auth_user_hash"] = "6f0d4b1ec2a8f35a1b0f3c52d7e9a4b8c1d2e3f405162738495a6b7c8d9e0f1a",
    };

    // Escapes, characters past U+FFFF and every JSON type.
    private static JsonObject UnicodeSession() => new()
    {
        ["name"] = "Zoë Ørsted",
        ["city"] = "Kraków",
        ["mood"] = "✓ 😀",
        ["controls"] = "quote\" backslash\\ newline\n tab\t bell\u0007 delete\u007f",
        ["numbers"] = new JsonArray(0, -7, 1.5, 12345678901234),
        ["flags"] = new JsonObject { ["yes"] = true, ["no"] = false, ["nothing"] = null },
    };

    // Django compresses it: "page-" repeats.
    private static JsonObject LargeSession()
    {
        var pages = new JsonArray();
        for (var i = 0; i < 300; i++)
        {
            pages.Add($"/apps/{i % 7}/connections/page-{i}");
        }
        var session = LoginSession();
        session["recent"] = pages;
        return session;
    }

    [Theory]
    [InlineData(DjangoSessionFormat.Signed)]
    [InlineData(DjangoSessionFormat.Legacy)]
    public async Task Sessions_Django_writes_decode_to_the_same_dictionary(DjangoSessionFormat format)
    {
        foreach (var session in new[] { LoginSession(), UnicodeSession(), LargeSession() })
        {
            var data = await DjangoSessions.EncodeAsync(session, Secret, format);

            var decoded = DjangoSessionCodec.Decode(data, Secret);

            Assert.NotNull(decoded);
            JsonAssert.Equal(session.ToJsonString(), decoded.ToJsonString());
        }
    }

    [Fact]
    public async Task The_signed_format_is_payload_timestamp_and_signature_with_compression_marked_by_a_dot()
    {
        var small = await DjangoSessions.EncodeAsync(new JsonObject { ["n"] = "Zoë 😀" }, Secret, DjangoSessionFormat.Signed, 1_760_000_000);
        var large = await DjangoSessions.EncodeAsync(LargeSession(), Secret, DjangoSessionFormat.Signed);

        // Unpadded URL-safe base64 of Python's ASCII-only JSON, the time in base 62, 43 characters of HMAC-SHA256.
        Assert.Equal("eyJuIjoiWm9cdTAwZWIgXHVkODNkXHVkZTAwIn0:1v6mOm:", small[..^43]);
        Assert.Matches(SignatureRegex(), small[^43..]);
        Assert.StartsWith(".eJ", large);
        Assert.Equal(2, large.Count(c => c == ':'));
    }

    [Fact]
    public async Task The_legacy_format_is_base64_of_a_sha1_hex_digest_a_colon_and_the_json()
    {
        var data = await DjangoSessions.EncodeAsync(UnicodeSession(), Secret, DjangoSessionFormat.Legacy);

        var text = Encoding.ASCII.GetString(Convert.FromBase64String(data));
        Assert.Matches(LegacyHashRegex(), text[..41]);
        Assert.Equal(
            """{"name":"Zo\u00eb \u00d8rsted","city":"Krak\u00f3w","mood":"\u2713 \ud83d\ude00","controls":"quote\" backslash\\ newline\n tab\t bell\u0007 delete\u007f","numbers":[0,-7,1.5,12345678901234],"flags":{"yes":true,"no":false,"nothing":null}}""",
            text[41..]);
    }

    [Theory]
    [InlineData(DjangoSessionFormat.Signed)]
    [InlineData(DjangoSessionFormat.Legacy)]
    public async Task Sessions_signed_with_another_secret_do_not_decode(DjangoSessionFormat format)
    {
        var data = await DjangoSessions.EncodeAsync(LoginSession(), OtherSecret, format);

        Assert.Null(DjangoSessionCodec.Decode(data, Secret));
        Assert.NotNull(DjangoSessionCodec.Decode(data, OtherSecret));
    }

    [Fact]
    public async Task One_changed_character_anywhere_in_signed_data_makes_it_no_session()
    {
        var data = await DjangoSessions.EncodeAsync(LargeSession(), Secret, DjangoSessionFormat.Signed);
        var timestampAt = data.IndexOf(':') + 1;

        Assert.NotNull(DjangoSessionCodec.Decode(data, Secret));
        Assert.Null(DjangoSessionCodec.Decode(data[1..], Secret)); // the compression mark
        Assert.Null(DjangoSessionCodec.Decode(Flip(data, 20), Secret)); // payload
        Assert.Null(DjangoSessionCodec.Decode(Flip(data, timestampAt), Secret)); // timestamp
        Assert.Null(DjangoSessionCodec.Decode(Flip(data, data.Length - 10), Secret)); // signature
        // 43 characters carry 258 bits for the HMAC's 256: changing the last one's lowest bit leaves the bytes as
        // they were, but Django compares the signature's text, and so do we.
        var sameBytes = data[..^1] + Base64UrlDigits[Base64UrlDigits.IndexOf(data[^1]) ^ 1];
        Assert.Null(DjangoSessionCodec.Decode(sameBytes, Secret));
        Assert.Empty(await DjangoSessions.DecodeAsync(sameBytes, Secret)); // Django's "no session"
        Assert.Null(DjangoSessionCodec.Decode(data + "A", Secret));
        Assert.Null(DjangoSessionCodec.Decode(data[..^1], Secret));
    }

    [Fact]
    public async Task One_changed_character_in_legacy_data_makes_it_no_session()
    {
        var data = await DjangoSessions.EncodeAsync(LoginSession(), Secret, DjangoSessionFormat.Legacy);

        Assert.NotNull(DjangoSessionCodec.Decode(data, Secret));
        Assert.Null(DjangoSessionCodec.Decode(Flip(data, 5), Secret)); // the hex digest
        Assert.Null(DjangoSessionCodec.Decode(Flip(data, 80), Secret)); // the JSON
        Assert.Empty(await DjangoSessions.DecodeAsync(Flip(data, 80), Secret));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(":")]
    [InlineData("::")]
    [InlineData("a:b:c")]
    [InlineData(".:0:")]
    [InlineData("not base64 at all!")]
    [InlineData("AAAA")]
    [InlineData("e30=")] // base64 of "{}", no digest
    [InlineData("Ont9")] // base64 of ":{}", an empty digest
    [InlineData("été")]
    [InlineData("\0\0\0\0")]
    public void Garbage_is_no_session(string data)
    {
        Assert.Null(DjangoSessionCodec.Decode(data, Secret));
    }

    [Fact]
    public void Null_input_is_no_session_and_does_not_throw()
    {
        Assert.Null(DjangoSessionCodec.Decode(null!, Secret));
        Assert.Null(DjangoSessionCodec.Decode("e30:1v6mOm:x", null!));
    }

    [Theory]
    [InlineData(DjangoSessionFormat.Signed)]
    [InlineData(DjangoSessionFormat.Legacy)]
    public async Task Validly_signed_json_that_is_not_an_object_is_no_session(DjangoSessionFormat format)
    {
        foreach (var value in new JsonNode?[] { new JsonArray(1, 2, 3), JsonValue.Create("session"), JsonValue.Create(7) })
        {
            var data = await DjangoSessions.EncodeAsync(value!, Secret, format);

            Assert.Null(DjangoSessionCodec.Decode(data, Secret));
        }
    }

    [Fact]
    public async Task A_duplicate_key_which_Python_resolves_to_the_last_value_is_no_session_and_never_throws_later()
    {
        // Django never writes one, so it is made here: legacy data, digest as SessionBase._hash computes it.
        var json = Encoding.ASCII.GetBytes("""{"_auth_user_id":"1","nested":{"a":1,"a":2},"_auth_user_id":"2"}""");
        var key = System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes("django.contrib.sessionsSessionStore" + Secret));
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA1.HashData(key, json));
        var data = Convert.ToBase64String([.. Encoding.ASCII.GetBytes(digest + ":"), .. json]);

        JsonAssert.Equal("""{"_auth_user_id":"2","nested":{"a":2}}""", (await DjangoSessions.DecodeAsync(data, Secret)).ToJsonString());
        Assert.Null(DjangoSessionCodec.Decode(data, Secret));
    }

    [Fact]
    public async Task What_we_encode_Django_decodes_to_the_same_dictionary()
    {
        foreach (var session in new[] { LoginSession(), UnicodeSession(), LargeSession(), new JsonObject() })
        {
            var data = DjangoSessionCodec.Encode(session, Secret, TimeProvider.System);

            var decoded = await DjangoSessions.DecodeAsync(data, Secret);

            JsonAssert.Equal(session.ToJsonString(), decoded.ToJsonString());
            JsonAssert.Equal(session.ToJsonString(), DjangoSessionCodec.Decode(data, Secret)!.ToJsonString());
        }
        Assert.StartsWith(".", DjangoSessionCodec.Encode(LargeSession(), Secret, TimeProvider.System));
    }

    [Fact]
    public void Compressed_data_that_inflates_past_a_mebibyte_is_refused()
    {
        var justUnder = new JsonObject { ["x"] = new string('a', DjangoSessionCodec.MaxDecompressedLength - 8) };
        var justOver = new JsonObject { ["x"] = new string('a', DjangoSessionCodec.MaxDecompressedLength - 7) };

        var under = DjangoSessionCodec.Encode(justUnder, Secret, TimeProvider.System);
        var over = DjangoSessionCodec.Encode(justOver, Secret, TimeProvider.System);

        Assert.True(over.Length < 4096, $"{over.Length} characters");
        Assert.Equal(DjangoSessionCodec.MaxDecompressedLength, Encoding.ASCII.GetByteCount(justUnder.ToJsonString()));
        Assert.Equal(justUnder["x"]!.GetValue<string>(), DjangoSessionCodec.Decode(under, Secret)!["x"]!.GetValue<string>());
        Assert.Null(DjangoSessionCodec.Decode(over, Secret));
    }

    [Fact]
    public void Session_data_over_64_KiB_is_refused_unread()
    {
        // Random base64 text compresses by a quarter at most, so the encoded length follows the JSON's.
        var random = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(60_000));
        var fits = DjangoSessionCodec.Encode(new JsonObject { ["x"] = random[..40_000] }, Secret, TimeProvider.System);
        var tooLong = DjangoSessionCodec.Encode(new JsonObject { ["x"] = random }, Secret, TimeProvider.System);

        Assert.InRange(fits.Length, 30_000, DjangoSessionCodec.MaxSessionDataLength);
        Assert.True(tooLong.Length > DjangoSessionCodec.MaxSessionDataLength, $"{tooLong.Length} characters");
        Assert.NotNull(DjangoSessionCodec.Decode(fits, Secret));
        Assert.Null(DjangoSessionCodec.Decode(tooLong, Secret));
    }

    [Fact]
    public async Task Session_auth_hashes_match_Djangos_sha256_and_sha1_for_this_password_and_secret_only()
    {
        var (sha1, sha256) = await DjangoSessions.SessionAuthHashesAsync(PasswordHash, Secret);

        Assert.Equal(sha256, DjangoSessionCodec.AuthHash(PasswordHash, Secret));
        Assert.Matches("^[0-9a-f]{64}$", sha256);
        Assert.Matches("^[0-9a-f]{40}$", sha1);
        Assert.True(DjangoSessionCodec.AuthHashMatches(sha256, PasswordHash, Secret));
        Assert.True(DjangoSessionCodec.AuthHashMatches(sha1, PasswordHash, Secret));

        // The password changed, another project's key, no hash, or a hash altered in any way.
        Assert.False(DjangoSessionCodec.AuthHashMatches(sha256, PasswordHash + "x", Secret));
        Assert.False(DjangoSessionCodec.AuthHashMatches(sha1, PasswordHash + "x", Secret));
        Assert.False(DjangoSessionCodec.AuthHashMatches(sha256, PasswordHash, OtherSecret));
        Assert.False(DjangoSessionCodec.AuthHashMatches(sha1, PasswordHash, OtherSecret));
        Assert.False(DjangoSessionCodec.AuthHashMatches(null, PasswordHash, Secret));
        Assert.False(DjangoSessionCodec.AuthHashMatches("", PasswordHash, Secret));
        Assert.False(DjangoSessionCodec.AuthHashMatches(sha256.ToUpperInvariant(), PasswordHash, Secret));
        Assert.False(DjangoSessionCodec.AuthHashMatches(sha256[..^1], PasswordHash, Secret));
        Assert.False(DjangoSessionCodec.AuthHashMatches(sha1 + "0", PasswordHash, Secret));

        var (otherSha1, otherSha256) = await DjangoSessions.SessionAuthHashesAsync(PasswordHash, OtherSecret);
        Assert.NotEqual(sha256, otherSha256);
        Assert.True(DjangoSessionCodec.AuthHashMatches(otherSha1, PasswordHash, OtherSecret));
        Assert.True(DjangoSessionCodec.AuthHashMatches(otherSha256, PasswordHash, OtherSecret));
    }

    [Fact]
    public async Task Without_Django_the_tests_fail_saying_how_to_install_it()
    {
        var absent = await Assert.ThrowsAsync<InvalidOperationException>(
            () => DjangoSessions.EnsureAvailableAsync("/nonexistent/python3"));
        var broken = await Assert.ThrowsAsync<InvalidOperationException>(() => DjangoSessions.EnsureAvailableAsync("/bin/false"));

        Assert.Contains(".ci/install-deps installs python3-django", absent.Message, StringComparison.Ordinal);
        Assert.Contains(".ci/install-deps installs python3-django", broken.Message, StringComparison.Ordinal);
        await DjangoSessions.EnsureAvailableAsync();
    }

    private const string Base64UrlDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static string Flip(string text, int index) =>
        text[..index] + (text[index] == 'A' ? 'B' : 'A') + text[(index + 1)..];

    [GeneratedRegex("^[A-Za-z0-9_-]{43}$")]
    private static partial Regex SignatureRegex();

    [GeneratedRegex("^[0-9a-f]{40}:$")]
    private static partial Regex LegacyHashRegex();
}
