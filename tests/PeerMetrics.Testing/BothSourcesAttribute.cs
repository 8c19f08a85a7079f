using PeerMetrics.Api.Summaries.Definitions;
using System.Reflection;
using Xunit.Sdk;

namespace PeerMetrics.Testing;

/// <summary>
/// Runs a theory once per <see cref="SummarySource"/> (its first parameter): a summary case with one expected
/// body holds only if the rollups and the raw rows both answer it (see <see cref="SummaryScenario"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BothSourcesAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => All.Select(source => new object[] { source });

    public static readonly SummarySource[] All = [SummarySource.Rollups, SummarySource.Raw];

    /// <summary>Each row of <paramref name="cases"/> once per source, the source first.</summary>
    public static TheoryData<SummarySource, T1, T2> Cross<T1, T2>(TheoryData<T1, T2> cases)
    {
        var crossed = new TheoryData<SummarySource, T1, T2>();
        foreach (var source in All)
        {
            foreach (var row in cases)
            {
                crossed.Add(source, (T1)row[0]!, (T2)row[1]!);
            }
        }
        return crossed;
    }
}
