using CliWrap;

namespace PeerMetrics.Api.Tests.Repository;

/// <summary>
/// A clone holds everything a reader needs: no tracked file points at the specification files the service was first
/// written from, which live outside the repository (its contract is docs/api.md, its tables docs/schema.md), nor at
/// the issue tracker by number; and none holds an unresolved merge.
/// </summary>
public sealed class SelfContainedTests
{
    private const string ThisFile = "tests/PeerMetrics.Api.Tests/Repository/SelfContainedTests.cs";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task No_tracked_file_points_outside_the_repository()
    {
        var found = await GrepAsync(["-F", "-e", "../shared", "-e", "shared/spec", "-e", "API.md", "-e", "SCHEMA.md"]);

        Assert.True(found.Count == 0, "Point into the repository instead (docs/api.md, docs/schema.md):\n" + string.Join('\n', found));
    }

    [Fact]
    public async Task No_tracked_file_cites_an_issue_by_number()
    {
        var found = await GrepAsync(["-i", "-E", "-e", @"issues? #[0-9]", "-e", @"\(issues? [0-9]"]);

        Assert.True(found.Count == 0, "Say what the issue was about instead of its number:\n" + string.Join('\n', found));
    }

    [Fact]
    public async Task No_tracked_file_holds_a_merge_conflict()
    {
        var found = await GrepAsync(["-E", "-e", "^(<<<<<<<|>>>>>>>) ", "-e", "^=======$"]);

        Assert.True(found.Count == 0, "Resolve the merge conflict:\n" + string.Join('\n', found));
    }

    [Fact]
    public async Task The_scan_reads_the_tracked_files()
    {
        // Without this, a scan that read nothing (a wrong root, no git) would pass the two tests above.
        var found = await GrepAsync(["-F", "-e", "docs/api.md"]);

        Assert.Contains(found, line => line.StartsWith("README.md:", StringComparison.Ordinal));
    }

    /// <summary>The tracked text files' lines matching <paramref name="pattern"/> (git grep), except this file's.</summary>
    private static async Task<IReadOnlyList<string>> GrepAsync(string[] pattern)
    {
        var result = await LocalProcess.RunAsync(Cli.Wrap("git")
            .WithArguments(["-C", RepositoryPaths.Root, "grep", "-n", "-I", .. pattern, "--", ".", $":(exclude){ThisFile}"])
            .WithValidation(CommandResultValidation.None), Timeout);
        // git grep exits 1 when nothing matches, more on an error.
        Assert.True(result.ExitCode is 0 or 1, $"git grep failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
