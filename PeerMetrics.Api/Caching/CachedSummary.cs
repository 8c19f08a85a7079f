using System.Buffers.Text;
using System.IO.Compression;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json.Serialization;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// One cache entry: a summary body as it goes on the wire, compressed once when it is computed (Brotli and gzip),
/// its validator, and when it was computed (the compute time tells a value served by fail-safe, older than the
/// TTL, from a fresh one, and bounds how long a browser may keep it).
/// The uncompressed body is not kept: it is made from the Brotli form when a client that accepts neither coding asks,
/// once per entry and process, and then held beside the entry in memory (never in Redis).
/// </summary>
public sealed class CachedSummary
{
    // What CompressionLevel.Optimal means for Brotli: quality 4 and a window of up to 22 bits.
    private const int BrotliQuality = 4;
    private const int BrotliMinWindow = 10;
    private const int BrotliMaxWindow = 22;

    private readonly string _identityETag;
    private byte[]? _identity;

    [JsonConstructor]
    public CachedSummary(DateTimeOffset computedAt, string tag, int length, byte[] brotli, byte[] gzip)
    {
        ComputedAt = computedAt;
        Tag = tag;
        Length = length;
        Brotli = brotli;
        Gzip = gzip;
        BrotliBody = new SummaryBody(brotli, $"\"{tag}-br\"", "br");
        GzipBody = new SummaryBody(gzip, $"\"{tag}-gzip\"", "gzip");
        _identityETag = $"\"{tag}\"";
    }

    public DateTimeOffset ComputedAt { get; }

    /// <summary>A digest of the uncompressed body: equal bodies have equal tags, on every replica.</summary>
    public string Tag { get; }

    /// <summary>The uncompressed body's length in bytes.</summary>
    public int Length { get; }

    public byte[] Brotli { get; }

    public byte[] Gzip { get; }

    [JsonIgnore]
    public SummaryBody BrotliBody { get; }

    [JsonIgnore]
    public SummaryBody GzipBody { get; }

    /// <summary>The body in <paramref name="coding"/>, with the entity tag of exactly those bytes.</summary>
    public SummaryBody For(ContentCoding coding) => coding switch
    {
        ContentCoding.Brotli => BrotliBody,
        ContentCoding.Gzip => GzipBody,
        _ => new SummaryBody(Identity(), _identityETag, null),
    };

    /// <summary>
    /// The entry for <paramref name="body"/> (the serialized summary): compressed and digested here, once per
    /// compute, so a hit costs neither.
    /// </summary>
    public static CachedSummary Create(byte[] body, DateTimeOffset computedAt)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, digest);
        // 128 bits of SHA-256 tell distinct bodies apart; the tag stays short on every response.
        return new CachedSummary(computedAt, Base64Url.EncodeToString(digest[..16]), body.Length,
            CompressBrotli(body),
            Compress(body, stream => new GZipStream(stream, CompressionLevel.Optimal)));
    }

    private byte[] Identity()
    {
        if (Volatile.Read(ref _identity) is { } identity)
        {
            return identity;
        }
        var decoded = new byte[Length];
        if (!BrotliDecoder.TryDecompress(Brotli, decoded, out var written) || written != Length)
        {
            throw new InvalidDataException($"A cached summary's Brotli form does not decode to its {Length} bytes.");
        }
        return Interlocked.CompareExchange(ref _identity, decoded, null) ?? decoded;
    }

    /// <summary>
    /// Brotli at the quality of <see cref="CompressionLevel.Optimal"/>, with the smallest window that holds the whole
    /// body: the encoder's set-up grows with its window, and most summaries are a few hundred bytes.
    /// </summary>
    private static byte[] CompressBrotli(byte[] body)
    {
        var window = Math.Clamp(BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)Math.Max(body.Length, 1))), BrotliMinWindow, BrotliMaxWindow);
        var output = new byte[BrotliEncoder.GetMaxCompressedLength(body.Length)];
        if (!BrotliEncoder.TryCompress(body, output, out var written, BrotliQuality, window))
        {
            throw new InvalidOperationException("Brotli could not compress a summary body.");
        }
        return output[..written];
    }

    private static byte[] Compress(byte[] body, Func<Stream, Stream> encoder)
    {
        using var output = new MemoryStream();
        using (var compressor = encoder(output))
        {
            compressor.Write(body);
        }
        return output.ToArray();
    }
}

/// <summary>A summary body in one content coding: its bytes, its entity tag and its <c>Content-Encoding</c> (null: none).</summary>
public readonly record struct SummaryBody(byte[] Bytes, string ETag, string? ContentEncoding);
