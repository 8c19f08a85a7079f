using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PeerMetrics.Api.Seeding;

/// <summary>
/// Fixed vocabularies of the demo data: platforms, places, devices, issue payloads. The JSON of every variant
/// is rendered once here, so the generator only picks strings per row instead of serializing them.
/// The odd variants (SQL NULL, <c>{}</c>, non-object JSON, missing keys, coordinates as strings or "0")
/// are deliberate: real peermetrics databases hold them and every summary must survive them.
/// </summary>
internal static class DemoCatalog
{
    // Declared first: static fields initialise in textual order and every catalog below renders JSON with these.
    private static readonly ArrayBufferWriter<byte> Buffer = new();

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public sealed record Weighted<T>(T Value, double Weight);

    /// <summary>Cumulative weights for a one-draw weighted pick.</summary>
    public sealed class WeightedList<T>
    {
        private readonly T[] _values;
        private readonly double[] _cumulative;

        public WeightedList(IEnumerable<Weighted<T>> items)
        {
            var list = items.ToList();
            _values = list.Select(i => i.Value).ToArray();
            _cumulative = new double[list.Count];
            var total = list.Sum(i => i.Weight);
            var running = 0.0;
            for (var i = 0; i < list.Count; i++)
            {
                running += list[i].Weight / total;
                _cumulative[i] = running;
            }
            _cumulative[^1] = 1.0;
        }

        public T Pick(Random random)
        {
            var u = random.NextDouble();
            var index = Array.BinarySearch(_cumulative, u);
            index = index < 0 ? ~index : index;
            return _values[Math.Min(index, _values.Length - 1)];
        }
    }

    // ua-parser-js names (what sdk-js stores), not marketing names.
    private sealed record PlatformProfile(
        string Browser, string BrowserVersion, string Engine, string EngineVersion, string Os, string? OsVersion,
        string? Vendor, string? Model, string? DeviceType, string? Cpu, string Ua, double Weight);

    private static readonly PlatformProfile[] Platforms =
    [
        new("Chrome", "120.0.0.0", "Blink", "120.0.0.0", "Windows", "10", null, null, null, "amd64",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", 30),
        new("Chrome", "119.0.6045.199", "Blink", "119.0.6045.199", "Mac OS", "10.15.7", "Apple", "Macintosh", null, null,
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.199 Safari/537.36", 12),
        new("Chrome", "120.0.0.0", "Blink", "120.0.0.0", "Linux", "x86_64", null, null, null, "amd64",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", 3),
        new("Chrome", "118.0.5993.164", "Blink", "118.0.5993.164", "Chrome OS", "14.541.0", null, null, null, "amd64",
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.164 Safari/537.36", 2),
        new("Mobile Chrome", "120.0.6099.144", "Blink", "120.0.6099.144", "Android", "13", "Google", "Pixel 7", "mobile", null,
            "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36", 6),
        new("Firefox", "121.0", "Gecko", "121.0", "Windows", "10", null, null, null, "amd64",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", 7),
        new("Firefox", "115.0", "Gecko", "115.0", "Linux", "x86_64", null, null, null, "amd64",
            "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0", 2),
        new("Safari", "17.2", "WebKit", "605.1.15", "Mac OS", "10.15.7", "Apple", "Macintosh", null, null,
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", 8),
        new("Mobile Safari", "17.1.2", "WebKit", "605.1.15", "iOS", "17.1.2", "Apple", "iPhone", "mobile", null,
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1", 9),
        new("Edge", "120.0.0.0", "Blink", "120.0.0.0", "Windows", "10", null, null, null, "amd64",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", 8),
        new("Chrome WebView", "120.0.6099.116", "Blink", "120.0.6099.116", "Android", "12", "Samsung", "SM-G991B", "mobile", null,
            "Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.116 Mobile Safari/537.36", 3),
        new("Opera", "105.0.0.0", "Blink", "119.0.0.0", "Windows", "10", null, null, null, "amd64",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0", 2),
        new("Samsung Browser", "23.0", "Blink", "115.0.0.0", "Android", "13", "Samsung", "SM-S911B", "mobile", null,
            "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", 2),
        new("Mobile Firefox", "121.0", "Gecko", "121.0", "Android", "14", null, null, "mobile", null,
            "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0", 1),
    ];

    /// <summary><c>app_session.platform</c>: UAParser results plus the shapes sdk-js/old clients leave behind; null = SQL NULL.</summary>
    public static readonly WeightedList<string?> Platform = new(BuildPlatforms());

    private static IEnumerable<Weighted<string?>> BuildPlatforms()
    {
        foreach (var p in Platforms)
        {
            yield return new(PlatformJson(p, browserName: p.Browser, osName: p.Os), p.Weight);
        }
        var chrome = Platforms[0];
        var ios = Platforms[8];
        yield return new(null, 2.5);                                        // request without platform
        yield return new("{}", 1.5);                                        // SDK default
        yield return new(JsonSerializer.Serialize(chrome.Ua), 0.8);         // a client that sent the UA string
        yield return new(PlatformJson(chrome, browserName: null, osName: chrome.Os), 1.0); // UA not recognised
        yield return new(PlatformJson(ios, browserName: ios.Browser, osName: null), 0.5);
        yield return new(PlatformJson(chrome, browserName: "", osName: ""), 0.2);
    }

    private static string PlatformJson(PlatformProfile p, string? browserName, string? osName) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("ua", p.Ua);
        w.WriteStartObject("browser");
        if (browserName is not null)
        {
            w.WriteString("name", browserName);
        }
        w.WriteString("version", p.BrowserVersion);
        w.WriteString("major", p.BrowserVersion.Split('.')[0]);
        w.WriteEndObject();
        w.WriteStartObject("engine");
        w.WriteString("name", p.Engine);
        w.WriteString("version", p.EngineVersion);
        w.WriteEndObject();
        w.WriteStartObject("os");
        if (osName is not null)
        {
            w.WriteString("name", osName);
        }
        if (p.OsVersion is not null)
        {
            w.WriteString("version", p.OsVersion);
        }
        w.WriteEndObject();
        w.WriteStartObject("device"); // usually {}: JSON.stringify drops undefined keys
        if (p.Vendor is not null) { w.WriteString("vendor", p.Vendor); }
        if (p.Model is not null) { w.WriteString("model", p.Model); }
        if (p.DeviceType is not null) { w.WriteString("type", p.DeviceType); }
        w.WriteEndObject();
        w.WriteStartObject("cpu");
        if (p.Cpu is not null) { w.WriteString("architecture", p.Cpu); }
        w.WriteEndObject();
        w.WriteEndObject();
    });

    private sealed record Place(string Country, string Region, string City, string Latitude, string Longitude, double Weight);

    private static readonly Place[] Places =
    [
        new("US", "CA", "San Jose", "37.34217071533203", "-121.90677642822266", 9),
        new("US", "NY", "New York", "40.71427", "-74.00597", 10),
        new("US", "TX", "Austin", "30.26715", "-97.74306", 4),
        new("GB", "ENG", "London", "51.50853", "-0.12574", 8),
        new("DE", "BE", "Berlin", "52.52437", "13.41053", 6),
        new("FR", "IDF", "Paris", "48.85341", "2.3488", 5),
        new("BR", "SP", "São Paulo", "-23.5475", "-46.63611", 4),
        new("IN", "MH", "Mumbai", "19.07283", "72.88261", 5),
        new("JP", "13", "Tokyo", "35.6895", "139.69171", 3),
        new("AU", "NSW", "Sydney", "-33.86785", "151.20732", 3),
        new("CA", "ON", "Toronto", "43.70011", "-79.4163", 4),
        new("ES", "MD", "Madrid", "40.4165", "-3.70256", 3),
        new("NL", "NH", "Amsterdam", "52.37403", "4.88969", 3),
        new("RO", "B", "Bucharest", "44.43225", "26.10626", 3),
        new("ZA", "GP", "Johannesburg", "-26.20227", "28.04363", 1),
        new("MX", "CMX", "Mexico City", "19.42847", "-99.12766", 2),
        new("SG", "", "Singapore", "1.28967", "103.85007", 2),
    ];

    /// <summary>
    /// <c>app_session.geo_ip</c>: App Engine headers (all strings), ipstack (numbers, keys may be absent),
    /// the all-null default, "0"/"0" coordinates, empty city, plus SQL NULL, <c>{}</c> and non-object JSON.
    /// </summary>
    public static readonly WeightedList<string?> GeoIp = new(BuildGeoIp());

    private static IEnumerable<Weighted<string?>> BuildGeoIp()
    {
        foreach (var p in Places)
        {
            yield return new(GeoJson(w => AppEngine(w, p, p.City, p.Latitude, p.Longitude)), p.Weight * 0.45);
            yield return new(GeoJson(w => IpStack(w, p, withRegion: true, withCity: true, withCoordinates: true)), p.Weight * 0.25);
            yield return new(GeoJson(w => IpStack(w, p, withRegion: false, withCity: true, withCoordinates: true)), p.Weight * 0.03);
            yield return new(GeoJson(w => IpStack(w, p, withRegion: true, withCity: true, withCoordinates: false)), p.Weight * 0.02);
            yield return new(GeoJson(w => AppEngine(w, p, p.City, "0", "0")), p.Weight * 0.02);
            yield return new(GeoJson(w => AppEngine(w, p, p.City, "0.000000", "0.000000")), p.Weight * 0.01);
            yield return new(GeoJson(w => AppEngine(w, p, "", p.Latitude, p.Longitude)), p.Weight * 0.02);
            yield return new(GeoJson(w => AppEngine(w, p, p.City, "", "")), p.Weight * 0.005);
        }
        var total = Places.Sum(p => p.Weight);
        yield return new(GeoJson(w =>
        {
            foreach (var key in new[] { "city", "latitude", "longitude", "region_code", "country_code" })
            {
                w.WriteNull(key);
            }
        }), total * 0.12);
        yield return new(GeoJson(w =>
        {
            w.WriteString("country_code", "");
            w.WriteString("region_code", "");
            w.WriteString("city", "Lyon");
            w.WriteNumber("latitude", 45.74846);
            w.WriteNumber("longitude", 4.84671);
        }), total * 0.005);
        yield return new(null, total * 0.02);
        yield return new("{}", total * 0.01);
        yield return new("\"unknown\"", total * 0.005);
        yield return new("[]", total * 0.005);
    }

    private static void AppEngine(Utf8JsonWriter w, Place p, string city, string latitude, string longitude)
    {
        w.WriteString("country_code", p.Country);
        w.WriteString("region_code", p.Region);
        w.WriteString("city", city);
        w.WriteString("latitude", latitude);
        w.WriteString("longitude", longitude);
    }

    private static void IpStack(Utf8JsonWriter w, Place p, bool withRegion, bool withCity, bool withCoordinates)
    {
        w.WriteString("country_code", p.Country);
        if (withRegion) { w.WriteString("region_code", p.Region); }
        if (withCity) { w.WriteString("city", p.City); }
        if (withCoordinates)
        {
            w.WriteNumber("latitude", double.Parse(p.Latitude, CultureInfo.InvariantCulture));
            w.WriteNumber("longitude", double.Parse(p.Longitude, CultureInfo.InvariantCulture));
        }
    }

    private static string GeoJson(Action<Utf8JsonWriter> body) => Json(w =>
    {
        w.WriteStartObject();
        body(w);
        w.WriteEndObject();
    });

    /// <summary><c>app_session.devices</c>: sdk-js sends an array of MediaDeviceInfo; populate_db stored an object.</summary>
    public static readonly WeightedList<string?> Devices = new(
    [
        new(Json(w => DeviceArray(w, ("audioinput", "Default - MacBook Pro Microphone (Built-in)"), ("videoinput", "FaceTime HD Camera"),
            ("audiooutput", "Default - MacBook Pro Speakers (Built-in)"))), 40),
        new(Json(w => DeviceArray(w, ("audioinput", "Microphone Array (Realtek(R) Audio)"), ("videoinput", "Integrated Webcam (0c45:6713)"))), 30),
        new(Json(w => DeviceArray(w, ("audioinput", ""), ("videoinput", ""))), 10), // labels hidden before permission
        new("[]", 8),
        new("{}", 7),
        new(null, 5),
    ]);

    private static void DeviceArray(Utf8JsonWriter w, params (string Kind, string Label)[] devices)
    {
        w.WriteStartArray();
        var n = 0;
        foreach (var (kind, label) in devices)
        {
            w.WriteStartObject();
            w.WriteString("deviceId", label.Length == 0 ? "" : $"d{n++:x2}a1f3c9e0b7d24f6a8c1e5b3d7f9a0c2e4");
            w.WriteString("kind", kind);
            w.WriteString("label", label);
            w.WriteString("groupId", "g7e2c4a9b1d3f5e7a9c0b2d4f6e8a1c3");
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static readonly WeightedList<string?> Constraints = new(
    [
        new("""{"width": true, "height": true, "deviceId": true, "frameRate": true, "aspectRatio": true, "echoCancellation": true, "noiseSuppression": true, "autoGainControl": true}""", 80),
        new("{}", 10),
        new(null, 10),
    ]);

    public static readonly WeightedList<string?> Metadata = new(
    [
        new("""{"plan": "pro", "role": "host"}""", 20),
        new("""{"plan": "pro", "role": "guest"}""", 40),
        new("""{"plan": "free"}""", 20),
        new("{}", 15),
        new(null, 5),
    ]);

    public static readonly WeightedList<string?> AppVersion = new(
        [new("2.4.1", 40), new("2.5.0", 35), new("3.0.0-beta.2", 10), new(null, 15)]);

    public static readonly WeightedList<string?> WebrtcSdk = new(
        [new("peermetrics-js", 45), new("mediasoup 3.13", 20), new("livekit 2.1.0", 15), new(null, 20)]);

    public static readonly string[] FirstNames =
    [
        "Ana", "Ben", "Chloé", "Dmitri", "Emma", "Farah", "Gabriel", "Hana", "Ioana", "Jamal", "Kenji", "Lea",
        "Mateo", "Nia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tomás", "Uma", "Victor", "Wen", "Yara", "Zoe",
    ];

    public static readonly string[] LastNames =
    [
        "Ionescu", "Smith", "Müller", "Dubois", "Rossi", "García", "Nakamura", "Patel", "Kowalski", "O'Brien",
        "Silva", "Nguyen", "Andersson", "Cohen", "Okafor",
    ];

    public static readonly (string Code, string Type, double Weight)[] WarningCodes =
    [
        ("getusermedia_error", "w", 25), ("icecandidateerror", "w", 15), ("connection_disconnected", "w", 15),
        ("multiple_rejoins", "w", 5), ("tcp_used", "w", 10), ("turn_used", "w", 15), ("low_emos", "w", 15),
    ];

    public static readonly (string Code, string Type, double Weight)[] ErrorCodes =
    [
        ("connection_failed", "e", 25), ("ice_failed", "e", 25), ("no_connection", "e", 15),
        ("no_media_access", "e", 15), ("very_low_emos", "e", 20),
    ];

    public static readonly WeightedList<(string Code, string Type)> Warning =
        new(WarningCodes.Select(c => new Weighted<(string, string)>((c.Code, c.Type), c.Weight)));

    public static readonly WeightedList<(string Code, string Type)> Error =
        new(ErrorCodes.Select(c => new Weighted<(string, string)>((c.Code, c.Type), c.Weight)));

    /// <summary>Codes whose issue points at a connection.</summary>
    public static bool IsConnectionIssue(string code) => code is "connection_failed" or "ice_failed"
        or "connection_disconnected" or "tcp_used" or "turn_used" or "icecandidateerror";

    private static readonly (string Name, string Message, double Weight)[] GumErrors =
    [
        ("NotAllowedError", "Permission denied", 35),
        ("NotFoundError", "Requested device not found", 20),
        ("NotReadableError", "Could not start video source", 15),
        ("OverconstrainedError", "Constraints could be not satisfied.", 6),
        ("AbortError", "Starting videoinput failed", 5),
        ("SecurityError", "The operation is insecure.", 3),
        ("TypeError", "At least one of audio and video must be requested", 3),
    ];

    /// <summary>
    /// <c>app_issue.data</c> of <c>getusermedia_error</c>: the DOMException's {name, message}, and the
    /// malformed payloads the gum summary must skip or file under "Unknown".
    /// </summary>
    public static readonly WeightedList<string?> GumData = new(BuildGumData());

    private static IEnumerable<Weighted<string?>> BuildGumData()
    {
        foreach (var (name, message, weight) in GumErrors)
        {
            yield return new(Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("message", message);
                w.WriteEndObject();
            }), weight);
        }
        yield return new("""{"name": "NotFoundError"}""", 3);
        yield return new("""{"name": "NotAllowedError", "message": ""}""", 1.5);
        yield return new("""{"message": "getUserMedia is not implemented in this browser"}""", 1.5);
        yield return new("""{"name": ""}""", 1);
        yield return new("""{"name": 42, "message": "numeric name"}""", 0.5);
        yield return new("\"malformed\"", 2);
        yield return new("""["NotAllowedError"]""", 1);
        yield return new("{}", 2);
        yield return new("null", 0.5); // JSON null, unlike the SQL NULL below
        yield return new(null, 1.5);
    }

    public static readonly WeightedList<string?> IceCandidateErrorData = new(
    [
        new("""{"errorCode": 701, "errorText": "STUN host lookup received error.", "url": "stun:stun.l.google.com:19302"}""", 50),
        new("""{"errorCode": 600}""", 30),
        new("""{"errorCode": 401, "errorText": "Unauthorized", "url": "turn:turn.example.com:3478?transport=udp"}""", 15),
        new(null, 5),
    ]);

    /// <summary>Renders a constant JSON value once, at type initialisation.</summary>
    private static string Json(Action<Utf8JsonWriter> body)
    {
        lock (Buffer)
        {
            Buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(Buffer, WriterOptions))
            {
                body(writer);
            }
            return Encoding.UTF8.GetString(Buffer.WrittenSpan);
        }
    }
}
