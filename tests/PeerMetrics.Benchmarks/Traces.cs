using System.Diagnostics;
using PeerMetrics.Testing;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// Ties the benchmark's requests to the Api's own spans: each traced request carries a <c>traceparent</c> with a
/// trace id of its own (sampled), so the Api records the request as that trace, and its exporter sends the spans to
/// <see cref="Receiver"/>.
/// </summary>
public sealed class Traces(OtlpTraceReceiver receiver)
{
    /// <summary>The Api's stages, in the order a cold request passes them (the spans of <c>ApiTelemetry</c>).</summary>
    public static readonly IReadOnlyList<(string Span, string Column)> Stages =
    [
        ("summary.authorize", "authorize"),
        ("summary.cache.lookup", "cache lookup"),
        ("summary.limiter", "limiter"),
        ("summary.rollups", "rollups state"),
        ("summary.rollups.catch_up", "catch-up"),
        ("summary.sql", "SQL"),
        ("summary.serialize", "serialize"),
        ("summary.compress", "compress"),
        ("summary.cache.write", "cache write"),
    ];

    public OtlpTraceReceiver Receiver { get; } = receiver;

    /// <summary>Adds a new sampled trace to <paramref name="request"/> and returns its id.</summary>
    public static string Trace(HttpRequestMessage request)
    {
        var trace = ActivityTraceId.CreateRandom().ToHexString();
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        return trace;
    }

    /// <summary>The request's breakdown per trace, once the Api's span of each has arrived (waits up to 30 s).</summary>
    public async Task<Dictionary<string, Breakdown>> CollectAsync(IReadOnlyCollection<string> traces)
    {
        var wanted = traces.ToHashSet();
        for (var waited = 0; ; waited++)
        {
            var spans = Receiver.Spans.Where(span => wanted.Contains(span.TraceId)).ToLookup(span => span.TraceId);
            // The request span is the last of a trace to end: once it is here, its children are too (same batch or before).
            var complete = wanted.Where(trace => spans[trace].Any(IsRequest)).ToList();
            if (complete.Count == wanted.Count || waited >= 300)
            {
                return complete.ToDictionary(trace => trace, trace => Breakdown.Of(spans[trace].ToList()));
            }
            await Task.Delay(100);
        }
    }

    private static bool IsRequest(ReceivedSpan span) => span.Scope == "Microsoft.AspNetCore";

    /// <summary>Which source answered the collected ones of <paramref name="traces"/>, counted: <c>rollups 25/25</c>.</summary>
    public static string Sources(IEnumerable<string?> traces, IReadOnlyDictionary<string, Breakdown> breakdowns, int of) =>
        string.Join(", ", traces.OfType<string>().Where(breakdowns.ContainsKey).GroupBy(trace => breakdowns[trace].Source)
            .Select(group => $"{group.Key} {group.Count()}/{of}"));

    /// <summary>One request as the Api saw it: its span's duration, each stage's, and the source its SQL read.</summary>
    public sealed record Breakdown(TimeSpan Server, IReadOnlyDictionary<string, TimeSpan> Stages, string Source, TimeSpan BeforeStatement)
    {
        public static Breakdown Of(IReadOnlyList<ReceivedSpan> spans)
        {
            var request = spans.Single(IsRequest);
            var stages = Traces.Stages.ToDictionary(stage => stage.Span, stage => spans
                .Where(span => span.Name == stage.Span)
                .Aggregate(TimeSpan.Zero, (sum, span) => sum + span.Duration));
            var sources = spans.Where(span => span.Name == "summary.sql")
                .Select(span => span.Attributes.GetValueOrDefault("summary.source", "?")).Distinct().ToList();
            // Inside summary.sql, the time until Npgsql sends the statement: the query's preparation in EF Core.
            var beforeStatement = spans.Where(span => span.Name == "summary.sql")
                .Select(sql => spans.Where(command => command.ParentSpanId == sql.SpanId).Select(command => command.StartedAt - sql.StartedAt)
                    .DefaultIfEmpty(TimeSpan.Zero).Min())
                .Aggregate(TimeSpan.Zero, (sum, before) => sum + before);
            return new Breakdown(request.Duration, stages, sources.Count == 0 ? "none" : string.Join("+", sources), beforeStatement);
        }

        /// <summary>The request span's time in no stage: routing, the endpoint's own work, writing the response.</summary>
        public TimeSpan Unstaged => Server - Stages.Values.Aggregate(TimeSpan.Zero, (sum, stage) => sum + stage);
    }
}
