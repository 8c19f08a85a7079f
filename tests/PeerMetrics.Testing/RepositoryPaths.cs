namespace PeerMetrics.Testing;

/// <summary>Where the repository's files are, for tests that run a project or read a tracked file.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootDirectory = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PeerMetrics.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"PeerMetrics.sln not found above {AppContext.BaseDirectory}");
    });

    /// <summary>The directory holding PeerMetrics.sln.</summary>
    public static string Root => RootDirectory.Value;

    /// <summary>A path below the root, e.g. <c>Of("PeerMetrics.Api", "PeerMetrics.Api.http")</c>.</summary>
    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);
}
