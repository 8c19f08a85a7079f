namespace PeerMetrics.Benchmarks;

/// <summary>Latency samples in milliseconds and their percentiles (nearest rank).</summary>
public sealed class Stats(IEnumerable<double> samples)
{
    private readonly double[] _sorted = samples.Order().ToArray();

    public int Count => _sorted.Length;
    public double P50 => Percentile(50);
    public double P95 => Percentile(95);
    public double P99 => Percentile(99);

    public double Percentile(double p) =>
        _sorted.Length == 0 ? double.NaN : _sorted[Math.Clamp((int)Math.Ceiling(p / 100 * _sorted.Length) - 1, 0, _sorted.Length - 1)];
}
