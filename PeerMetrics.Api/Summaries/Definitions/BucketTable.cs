using System.Globalization;

namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>One row of a <see cref="BucketTable"/>: <c>[Min, Max)</c>, <c>Max</c> null on the open last row.</summary>
public sealed record Bucket(string Range, int Min, int? Max);

/// <summary>
/// A bucket table of the contract, written as its lower bounds only: each row ends where the next begins and the
/// last is open, so moving a boundary is one number. The rows' labels, the SQL arrays <c>width_bucket</c> reads,
/// the demo generator's ranges and the bodies all follow from those bounds.
/// </summary>
public sealed class BucketTable
{
    /// <param name="unit">The labels' unit, e.g. <c>m</c>.</param>
    /// <param name="perUnit">How many of the bounds' own unit make one label unit (60 for seconds labelled in minutes).</param>
    /// <param name="lowerBounds">The rows' lower bounds, strictly increasing, each a whole number of label units.</param>
    public BucketTable(string unit, int perUnit, params int[] lowerBounds)
    {
        if (lowerBounds.Length < 2 || lowerBounds.Zip(lowerBounds.Skip(1)).Any(pair => pair.First >= pair.Second)
            || lowerBounds.Any(bound => bound % perUnit != 0))
        {
            throw new ArgumentException($"Bucket bounds must be at least two, strictly increasing, each a whole number of {unit}.",
                nameof(lowerBounds));
        }
        string Label(int bound) => (bound / perUnit).ToString(CultureInfo.InvariantCulture);
        var last = lowerBounds.Length - 1;
        Rows = lowerBounds.Select((min, i) => i == last
                ? new Bucket($"> {Label(min)} {unit}", min, null)
                : new Bucket(i == 0 ? $"< {Label(lowerBounds[1])} {unit}" : $"{Label(min)} - {Label(lowerBounds[i + 1])} {unit}",
                    min, lowerBounds[i + 1]))
            .ToList();
        LowerBoundsSql = SqlArray(lowerBounds);
        UpperBoundsSql = SqlArray(lowerBounds.Skip(1));
    }

    /// <summary>The rows in response order.</summary>
    public IReadOnlyList<Bucket> Rows { get; }

    /// <summary>Every row's min as SQL: <c>width_bucket</c> over it numbers the rows 1.. (0 below the first).</summary>
    public string LowerBoundsSql { get; }

    /// <summary>Every closed row's max as SQL: <c>width_bucket</c> over it numbers the rows 0.. (0 below the first max).</summary>
    public string UpperBoundsSql { get; }

    private static string SqlArray(IEnumerable<int> values) =>
        $"ARRAY[{string.Join(", ", values.Select(value => value.ToString(CultureInfo.InvariantCulture)))}]";
}
