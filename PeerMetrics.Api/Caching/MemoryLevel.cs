using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace PeerMetrics.Api.Caching;

/// <summary>
/// FusionCache's in-process level: a memory cache bounded by <see cref="SummaryCacheOptions.MaxMemoryEntries"/>
/// (every entry has size 1). A singleton of its own so its size can be observed.
/// </summary>
public sealed class MemoryLevel(IOptions<SummaryCacheOptions> options) : IDisposable
{
    public MemoryCache Cache { get; } = new(new MemoryCacheOptions
    {
        SizeLimit = options.Value.MaxMemoryEntries,
        TrackStatistics = true,
    });

    public void Dispose() => Cache.Dispose();
}
