namespace PeerMetrics.Api.Caching;

/// <summary>
/// One cache entry: the exact response bytes plus when they were computed. The compute time tells a value
/// served by fail-safe (older than the TTL) from a fresh one, so the response can say STALE.
/// </summary>
public sealed record CachedSummary(byte[] Body, DateTimeOffset ComputedAt);
