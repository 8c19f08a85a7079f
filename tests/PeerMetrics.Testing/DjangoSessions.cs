using System.Text.Json.Nodes;
using CliWrap;

namespace PeerMetrics.Testing;

/// <summary>The two <c>session_data</c> formats Django writes.</summary>
public enum DjangoSessionFormat
{
    /// <summary>Django &lt; 3.1, and 3.x with <c>DEFAULT_HASHING_ALGORITHM = "sha1"</c>: base64 of "sha1-hexdigest:json".</summary>
    Legacy,

    /// <summary>Django &gt;= 3.1: <c>signing.dumps(..., compress=True)</c>, "payload:timestamp:signature".</summary>
    Signed,
}

/// <summary>
/// Real Django, to check our reading and writing of its sessions against: Debian's python3-django (3.2) run by
/// Debian's own Python, one process per call. Not the <c>python3</c> first on the PATH, which may be another
/// interpreter without Django.
/// </summary>
public static class DjangoSessions
{
    public const string Python = "/usr/bin/python3";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    // Reads one request as JSON on stdin and writes the answer as JSON on stdout. Everything it computes is
    // Django's own code: SessionStore.encode/decode and the User model's session auth hashes.
    private const string Script = """
        import json, sys
        request = json.load(sys.stdin)
        from django.conf import settings
        options = dict(
            SECRET_KEY=request["secret"],
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        )
        if request.get("algorithm") == "sha1":
            options["DEFAULT_HASHING_ALGORITHM"] = "sha1"
        settings.configure(**options)
        import warnings
        warnings.simplefilter("ignore")
        import django
        django.setup()
        from django.contrib.sessions.backends.db import SessionStore
        operation = request["operation"]
        if operation == "encode":
            if request.get("time") is not None:
                import types
                from django.core import signing
                signing.time = types.SimpleNamespace(time=lambda: request["time"])
            answer = SessionStore().encode(request["session"])
        elif operation == "decode":
            answer = SessionStore().decode(request["data"])
        elif operation == "auth_hash":
            from django.contrib.auth.models import User
            from django.utils.crypto import salted_hmac
            key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
            user = User(password=request["password"])
            answer = {
                "sha1": salted_hmac(key_salt, request["password"], algorithm="sha1").hexdigest(),
                "sha256": salted_hmac(key_salt, request["password"], algorithm="sha256").hexdigest(),
            }
            # The same as the model's own methods (DEFAULT_HASHING_ALGORITHM is sha256 here).
            assert answer["sha1"] == user._legacy_get_session_auth_hash()
            assert answer["sha256"] == user.get_session_auth_hash()
        else:
            raise ValueError(operation)
        json.dump({"django": django.get_version(), "answer": answer}, sys.stdout)
        """;

    /// <summary>
    /// Django's <c>SessionStore().encode(session)</c> in <paramref name="format"/>; <paramref name="unixTime"/> fixes
    /// the signed format's timestamp (else now). Any JSON value, as Django encodes lists as readily as dicts.
    /// </summary>
    public static async Task<string> EncodeAsync(
        JsonNode session, string secretKey, DjangoSessionFormat format, long? unixTime = null)
    {
        var answer = await RunAsync(new JsonObject
        {
            ["operation"] = "encode",
            ["secret"] = secretKey,
            ["algorithm"] = format == DjangoSessionFormat.Legacy ? "sha1" : "sha256",
            ["session"] = session.DeepClone(),
            ["time"] = unixTime,
        });
        return answer!.GetValue<string>();
    }

    /// <summary>Django's <c>SessionStore().decode(data)</c>: the session, or <c>{}</c> when it does not verify.</summary>
    public static async Task<JsonObject> DecodeAsync(string sessionData, string secretKey)
    {
        var answer = await RunAsync(new JsonObject
        {
            ["operation"] = "decode",
            ["secret"] = secretKey,
            ["data"] = sessionData,
        });
        return answer!.AsObject();
    }

    /// <summary>The user's <c>get_session_auth_hash()</c> under SHA-1 (Django &lt; 3.1) and SHA-256 (Django &gt;= 3.1).</summary>
    public static async Task<(string Sha1, string Sha256)> SessionAuthHashesAsync(string passwordHash, string secretKey)
    {
        var answer = await RunAsync(new JsonObject
        {
            ["operation"] = "auth_hash",
            ["secret"] = secretKey,
            ["password"] = passwordHash,
        });
        return (answer!["sha1"]!.GetValue<string>(), answer["sha256"]!.GetValue<string>());
    }

    /// <summary>Throws, saying how to install it, unless <paramref name="python"/> can import Django.</summary>
    public static async Task EnsureAvailableAsync(string python = Python)
    {
        var (exitCode, _, stderr) = await StartAsync(python, ["-I", "-c", "import django"], stdin: "");
        if (exitCode != 0)
        {
            throw Missing(python, stderr);
        }
    }

    private static async Task<JsonNode?> RunAsync(JsonObject request)
    {
        var (exitCode, stdout, stderr) = await StartAsync(Python, ["-I", "-c", Script], request.ToJsonString());
        if (exitCode != 0)
        {
            throw stderr.Contains("No module named 'django'", StringComparison.Ordinal)
                ? Missing(Python, stderr)
                : new InvalidOperationException($"Django failed on {request["operation"]}: {stderr}");
        }
        return JsonNode.Parse(stdout)!["answer"];
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> StartAsync(
        string python, IEnumerable<string> arguments, string stdin)
    {
        if (!File.Exists(python))
        {
            throw Missing(python, "no such file");
        }
        var result = await LocalProcess.RunAsync(Cli.Wrap(python).WithArguments(arguments)
            .WithStandardInputPipe(PipeSource.FromString(stdin)).WithValidation(CommandResultValidation.None), Timeout);
        return (result.ExitCode, result.StandardOutput, result.StandardError);
    }

    private static InvalidOperationException Missing(string python, string detail) =>
        new($"These tests check against real Django, run by {python} with Debian's python3-django, which is missing " +
            $"({detail.Trim()}). .ci/install-deps installs python3-django.");
}
