using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace PeerMetrics.Api.Caching;

/// <summary>The content codings a summary is kept in, in the server's order of preference.</summary>
public enum ContentCoding
{
    Brotli,
    Gzip,
    Identity,
}

public static class ContentCodings
{
    // The last header negotiated and its answer: a browser sends the same header with every request, and parsing
    // it allocated on every cache hit. One immutable object, swapped whole, so a reader never sees half of one.
    private sealed record Negotiated(string Header, ContentCoding Coding);

    private static Negotiated? _last;

    /// <summary>
    /// The coding to answer <c>Accept-Encoding</c> with: the acceptable one with the highest q-value, Brotli before
    /// gzip before none on a tie. A coding not listed takes the q-value of <c>*</c> (unacceptable without it); no coding,
    /// when neither it nor <c>*</c> is listed, is acceptable but last, so a client that lists only codings gets one. With no
    /// header, an empty one, one that does not parse, or when nothing the client accepts is available, the body goes
    /// uncompressed: the header is disregarded rather than answered with 406.
    /// </summary>
    public static ContentCoding Negotiate(StringValues acceptEncoding)
    {
        if (acceptEncoding.Count != 1 || acceptEncoding[0] is not { } header)
        {
            return Parse(acceptEncoding);
        }
        if (_last is { } last && last.Header == header)
        {
            return last.Coding;
        }
        var coding = Parse(acceptEncoding);
        _last = new Negotiated(header, coding);
        return coding;
    }

    private static ContentCoding Parse(StringValues acceptEncoding)
    {
        if (StringValues.IsNullOrEmpty(acceptEncoding)
            || !StringWithQualityHeaderValue.TryParseList(acceptEncoding, out var listed))
        {
            return ContentCoding.Identity;
        }
        double? brotli = null, gzip = null, identity = null, any = null;
        foreach (var coding in listed)
        {
            var quality = coding.Quality ?? 1;
            if (coding.Value.Equals("br", StringComparison.OrdinalIgnoreCase))
            {
                brotli = quality;
            }
            else if (coding.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) || coding.Value.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
            {
                gzip = quality;
            }
            else if (coding.Value.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                identity = quality;
            }
            else if (coding.Value.Equals("*", StringComparison.Ordinal))
            {
                any = quality;
            }
        }
        var choice = (Coding: ContentCoding.Identity, Quality: identity ?? any ?? double.Epsilon);
        choice = Prefer(choice, ContentCoding.Gzip, gzip ?? any ?? 0);
        choice = Prefer(choice, ContentCoding.Brotli, brotli ?? any ?? 0);
        return choice.Coding;
    }

    // Later candidates win ties: they are the preferred ones.
    private static (ContentCoding Coding, double Quality) Prefer((ContentCoding Coding, double Quality) current, ContentCoding candidate,
        double quality) =>
        quality > 0 && quality >= current.Quality ? (candidate, quality) : current;
}
