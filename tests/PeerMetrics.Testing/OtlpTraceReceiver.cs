using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;

namespace PeerMetrics.AppHost.Tests.Telemetry;

/// <summary>One span as an exporter sent it: its trace, its parent (null for a root) and its name.</summary>
public sealed record ReceivedSpan(string TraceId, string? ParentSpanId, string Name, string Scope);

/// <summary>
/// An OTLP/HTTP receiver on loopback for a resource's exporter (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>,
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
                Fields(span, 4).Where(parent => parent.Length > 0).Select(Convert.ToHexStringLower).SingleOrDefault(),
                Fields(span, 5).Select(ToText).SingleOrDefault() ?? "",
                scope));
        });

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

    private static string ToText(byte[] utf8) => System.Text.Encoding.UTF8.GetString(utf8);

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
