using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Tests.Summaries;

/// <summary>A bucket table written as its lower bounds: the rows, labels and SQL arrays that follow from them.</summary>
public sealed class BucketTableTests
{
    [Fact]
    public void Each_row_ends_where_the_next_begins_and_the_last_is_open()
    {
        var table = new BucketTable("m", 60, 0, 60, 180, 3600);

        Assert.Equal(
            [new Bucket("< 1 m", 0, 60), new Bucket("1 - 3 m", 60, 180), new Bucket("3 - 60 m", 180, 3600), new Bucket("> 60 m", 3600, null)],
            table.Rows);
        Assert.Equal("ARRAY[0, 60, 180, 3600]", table.LowerBoundsSql);
        Assert.Equal("ARRAY[60, 180, 3600]", table.UpperBoundsSql);
    }

    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 0, 60, 60 })]
    [InlineData(new[] { 0, 120, 60 })]
    [InlineData(new[] { 0, 90 })]
    public void Bounds_that_are_too_few_not_increasing_or_not_whole_units_are_refused(int[] bounds)
    {
        Assert.Throws<ArgumentException>(() => new BucketTable("m", 60, bounds));
    }
}
