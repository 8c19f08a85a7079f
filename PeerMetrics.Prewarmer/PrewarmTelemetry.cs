using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PeerMetrics.Prewarmer;

/// <summary>
/// The Prewarmer's spans (one per cycle, a child per app) and metrics. Metric tags stay low-cardinality:
/// the summary label and an outcome, never an app id (spans may carry it: they are sampled, not aggregated).
/// </summary>
public sealed class PrewarmTelemetry
{
    public const string Name = "PeerMetrics.Prewarmer";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Histogram<double> _cycleDuration;
    private readonly Counter<long> _appsWarmed;
    private readonly Counter<long> _entriesRefreshed;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _refreshDuration;

    public PrewarmTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _cycleDuration = meter.CreateHistogram<double>("peermetrics.prewarm.cycle.duration", unit: "s",
            description: "Duration of one prewarm cycle (listing active apps and refreshing their summaries).");
        _appsWarmed = meter.CreateCounter<long>("peermetrics.prewarm.apps", unit: "{app}",
            description: "Active apps a cycle went through (failed refreshes are counted by peermetrics.prewarm.failures).");
        _entriesRefreshed = meter.CreateCounter<long>("peermetrics.prewarm.entries", unit: "{entry}",
            description: "Summary cache entries recomputed and overwritten.");
        _failures = meter.CreateCounter<long>("peermetrics.prewarm.failures", unit: "{failure}",
            description: "Failed prewarm steps: listing active apps, or refreshing one summary entry.");
        _refreshDuration = meter.CreateHistogram<double>("peermetrics.prewarm.refresh.duration", unit: "s",
            description: "Round trip of one summary refresh through the Api.");
    }

    public void CycleCompleted(TimeSpan elapsed, bool cutShort) =>
        _cycleDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", cutShort ? "cut_short" : "completed"));

    public void AppWarmed() => _appsWarmed.Add(1);

    public void EntryRefreshed(string summary, TimeSpan elapsed)
    {
        _entriesRefreshed.Add(1, new KeyValuePair<string, object?>("summary", summary));
        _refreshDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("summary", summary));
    }

    public void RefreshFailed(string summary) =>
        _failures.Add(1, new("stage", "refresh"), new("summary", summary));

    public void ListingFailed() => _failures.Add(1, new KeyValuePair<string, object?>("stage", "active_apps"));
}
