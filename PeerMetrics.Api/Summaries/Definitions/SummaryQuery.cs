namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>
/// A validated summary request: the app (checked to belong to the caller's organization) and the
/// minute-normalized window. The cache key and the SQL are both made from it, so a cache key always describes
/// exactly what was computed.
/// </summary>
public sealed record SummaryQuery(Guid OrganizationId, Guid AppId, TimeWindow Window);
