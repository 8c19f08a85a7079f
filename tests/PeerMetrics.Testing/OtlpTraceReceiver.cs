using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;

namespace PeerMetrics.Testing;

/// <summary>
/// One span as an exporter sent it: its trace, its id, its parent (null for a root), its name, its instrumentation
/// scope, when it started and ended, and its string, integer and boolean attributes (as text).
/// </summary>
public sealed record ReceivedSpan(string TraceId, string SpanId, string? ParentSpanId, string Name, string Scope,
    DateTime StartedAt, DateTime EndedAt, IReadOnlyDictionary<string, string> Attributes)
{
    public TimeSpan Duration => EndedAt - StartedAt;
}

/// <summary>
/// An OTLP/HTTP receiver on loopback for a process's exporter (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>,
/// <c>http/protobuf</c>): it keeps the spans posted to <c>/v1/traces</c> and accepts logs and metrics unread. The
/// request is walked with Google.Protobuf's wire reader, field by field, along the OTLP trace schema
/// (ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span), so no generated types are needed.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly Task _serving;

    public OtlpTraceReceiver()
    {
        Endpoint = new Uri($"http://127.0.0.1:{LocalProcess.FreePort()}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _serving = ServeAsync();
    }

    public Uri Endpoint { get; }

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>The environment that points a process's OTLP exporter here, its span batches leaving every <paramref name="scheduleDelay"/>.</summary>
    public IReadOnlyDictionary<string, string> ExporterEnvironment(TimeSpan scheduleDelay) => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = ((int)scheduleDelay.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using (var body = new MemoryStream())
            {
                await context.Request.InputStream.CopyToAsync(body);
                if (context.Request.Url?.AbsolutePath == "/v1/traces")
                {
                    foreach (var span in ReadTraces(body.ToArray()))
                    {
                        _spans.Enqueue(span);
                    }
                }
            }
            // An empty Export*ServiceResponse: everything accepted.
            context.Response.ContentType = "application/x-protobuf";
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    private static IEnumerable<ReceivedSpan> ReadTraces(byte[] request) =>
        Fields(request, 1).SelectMany(resourceSpans => Fields(resourceSpans, 2)).SelectMany(scopeSpans =>
        {
            var scope = Fields(scopeSpans, 1).Select(s => Fields(s, 1).Select(ToText).FirstOrDefault()).FirstOrDefault() ?? "";
            return Fields(scopeSpans, 2).Select(span => new ReceivedSpan(
                Convert.ToHexStringLower(Fields(span, 1).Single()),
                Convert.ToHexStringLower(Fields(span, 2).Single()),
                Fields(span, 4).Where(parent => parent.Length > 0).Select(Convert.ToHexStringLower).SingleOrDefault(),
                Fields(span, 5).Select(ToText).SingleOrDefault() ?? "",
                scope,
                FromUnixNanoseconds(Fixed64(span, 7)),
                FromUnixNanoseconds(Fixed64(span, 8)),
                Fields(span, 9).ToDictionary(
                    attribute => ToText(Fields(attribute, 1).Single()),
                    attribute => Fields(attribute, 2).Select(AnyValueText).SingleOrDefault() ?? "")));
        });

    // AnyValue: string_value (1), bool_value (2) and int_value (3); other kinds as empty text.
    private static string AnyValueText(byte[] value)
    {
        var input = new CodedInputStream(value);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: return input.ReadString();
                case 2: return input.ReadBool() ? "true" : "false";
                case 3: return input.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
                default: input.SkipLastField(); break;
            }
        }
        return "";
    }

    private static DateTime FromUnixNanoseconds(ulong nanoseconds) => DateTime.UnixEpoch.AddTicks((long)(nanoseconds / 100));

    /// <summary>The length-delimited values (messages, bytes, strings) of field <paramref name="number"/>.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var values = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                values.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }
        return values;
    }

    /// <summary>The value of the fixed64 field <paramref name="number"/> (0 when absent).</summary>
    private static ulong Fixed64(byte[] message, int number)
    {
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed64)
            {
                return input.ReadFixed64();
            }
            input.SkipLastField();
        }
        return 0;
    }

    private static string ToText(byte[] utf8) => System.Text.Encoding.UTF8.GetString(utf8);

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
