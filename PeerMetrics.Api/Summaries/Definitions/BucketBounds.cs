using System.Globalization;

namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>
/// The SQL form of a bucket table (<c>[min, max)</c> rows in order, the last one open): an <c>ARRAY[…]</c> of its
/// bounds for <c>width_bucket</c>. The rows must follow each other with no gap or overlap (checked), since one
/// array of bounds stands for the whole table.
/// </summary>
internal static class BucketBounds
{
    /// <summary>Every row's min: <c>width_bucket</c> over it numbers the rows 1.. (0 below the first).</summary>
    public static string Lower(IEnumerable<(int Min, int? Max)> rows) => SqlArray(Checked(rows).Select(row => row.Min));

    /// <summary>Every closed row's max: <c>width_bucket</c> over it numbers the rows 0.. (0 for anything below the first max).</summary>
    public static string Upper(IEnumerable<(int Min, int? Max)> rows) => SqlArray(Checked(rows).SkipLast(1).Select(row => row.Max!.Value));

    private static IReadOnlyList<(int Min, int? Max)> Checked(IEnumerable<(int Min, int? Max)> rows)
    {
        var list = rows.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var closed = i < list.Count - 1;
            if (closed ? list[i].Max is not { } max || max <= list[i].Min || max != list[i + 1].Min : list[i].Max is not null)
            {
                throw new InvalidOperationException(
                    $"Bucket {i} [{list[i].Min}, {list[i].Max}) does not follow on from the one before or lead to the next; only the last is open.");
            }
        }
        return list;
    }

    private static string SqlArray(IEnumerable<int> values) =>
        $"ARRAY[{string.Join(", ", values.Select(value => value.ToString(CultureInfo.InvariantCulture)))}]";
}
