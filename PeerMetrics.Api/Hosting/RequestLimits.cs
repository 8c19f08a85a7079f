using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace PeerMetrics.Api.Hosting;

/// <summary>
/// Kestrel's request-size limits, chosen for this API instead of left at the defaults. Every route is a GET
/// whose input is its query string; the largest request the contract allows is the drill-down with
/// its most conference ids (<c>ConferenceListRequestParser.MaxConferenceIds</c>), far over Kestrel's default 8 KiB request
/// line. Up to these limits the Api itself answers (1001 ids and more: the contract's 400); past them Kestrel
/// refuses the request before the Api sees it (414, 431). README "Limits" lists the values and the answers.
/// </summary>
public static class RequestLimits
{
    /// <summary>
    /// Request line, CRLF included (under HTTP/2: method, scheme, authority and path together). 1000 UUIDs take
    /// 37 KB, 39 KB with percent-encoded commas; the other filters add well under 1 KB. The headroom lets the
    /// Api, not Kestrel, refuse a list somewhat over 1000.
    /// </summary>
    public const int MaxRequestLineBytes = 64 * 1024;

    /// <summary>The header fields themselves: a bearer token and what browsers and proxies add (Kestrel's default).</summary>
    public const int MaxHeaderFieldsBytes = 32 * 1024;

    /// <summary>
    /// Kestrel's headers total. HTTP/2 and HTTP/3 carry the target as the <c>:path</c> header field and count it
    /// here, so the total has room for a full request line on top of the header fields.
    /// </summary>
    public const int MaxRequestHeadersTotalBytes = MaxRequestLineBytes + MaxHeaderFieldsBytes;

    /// <summary>Browsers send about 20 header fields, proxies add a few (Kestrel's default).</summary>
    public const int MaxRequestHeaderCount = 100;

    /// <summary>
    /// No served route reads a request body; Kestrel then neither reads nor drains one. Only the routes forwarded
    /// upstream raise it for themselves (<c>UpstreamForwarding.MaxRequestBodyBytes</c>).
    /// </summary>
    public const long MaxRequestBodyBytes = 0;

    public static IHostApplicationBuilder AddRequestLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            var limits = kestrel.Limits;
            limits.MaxRequestLineSize = MaxRequestLineBytes;
            limits.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalBytes;
            limits.MaxRequestHeaderCount = MaxRequestHeaderCount;
            limits.MaxRequestBodySize = MaxRequestBodyBytes;
            // One HPACK/QPACK field (the :path above all) may be as long as a request line.
            limits.Http2.MaxRequestHeaderFieldSize = MaxRequestLineBytes;
            limits.Http3.MaxRequestHeaderFieldSize = MaxRequestLineBytes;
        });
        return builder;
    }
}
