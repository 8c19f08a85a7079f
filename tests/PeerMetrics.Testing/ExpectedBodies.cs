using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Testing;

/// <summary>Response bodies whose shape the Api derives from its definitions.</summary>
public static class ExpectedBodies
{
    /// <summary>The Prewarmer's <c>/internal/active-apps</c> answer: the apps in id order, then every summary.</summary>
    public static string ActiveApps(IEnumerable<Guid> apps)
    {
        var ids = string.Join(',', apps.Order().Select(id => $"\"{id}\""));
        var summaries = string.Join(',', SummaryCatalog.All.Select(summary => $$"""{"path":"{{summary.Route}}","label":"{{summary.Label}}"}"""));
        return $$"""{"apps":[{{ids}}],"summaries":[{{summaries}}]}""";
    }
}
