using PeerMetrics.Api.Summaries.Definitions;
using System.Diagnostics.Metrics;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// <c>Rollups:Mode=shadow</c>: every compute is served raw and also answered from the rollups; a difference is
/// logged and counted, so an operator can watch the rollups agree before switching them on. A write committed
/// between the two reads can show as a difference; a lasting one cannot.
/// </summary>
public sealed partial class RollupsShadow
{
    private readonly ILogger<RollupsShadow> _logger;
    private readonly Counter<long> _comparisons;
    private readonly Counter<long> _differences;

    public RollupsShadow(IMeterFactory meterFactory, ILogger<RollupsShadow> logger)
    {
        _logger = logger;
        var meter = meterFactory.Create(RollupsMonitor.MeterName);
        _comparisons = meter.CreateCounter<long>("peermetrics.rollups.shadow.comparisons", "{compute}",
            "Computes answered from the rollups too and compared with the raw answer (shadow mode).");
        _differences = meter.CreateCounter<long>("peermetrics.rollups.shadow.differences", "{compute}",
            "Shadow comparisons whose rollup answer differed from the raw answer.");
    }

    public void Compare(SummaryDefinition summary, SummaryQuery query, byte[] raw, byte[] rollup)
    {
        var tag = new KeyValuePair<string, object?>("summary", summary.Label);
        _comparisons.Add(1, tag);
        if (!raw.AsSpan().SequenceEqual(rollup))
        {
            _differences.Add(1, tag);
            LogDifference(summary.Label, query.AppId, query.Window.From, query.Window.Until, raw.Length, rollup.Length);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollups shadow: {Summary} for app {AppId} over [{From}, {Until}) differs from the raw answer ({RawBytes} vs {RollupBytes} bytes); run `rollups verify --app {AppId}`")]
    private partial void LogDifference(string summary, Guid appId, DateTime? from, DateTime? until, int rawBytes, int rollupBytes);
}
