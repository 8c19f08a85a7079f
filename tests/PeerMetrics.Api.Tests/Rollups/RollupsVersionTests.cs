using System.Security.Cryptography;
using System.Text;
using PeerMetrics.Api.Rollups;

namespace PeerMetrics.Api.Tests.Rollups;

/// <summary>
/// An Api installs the rollups only over an older <see cref="RollupsSql.Version"/>: a script changed without a bump
/// would never reach the databases that already hold this version. The script as installed (its fragments from the
/// summaries' SQL filled in) is pinned to the version here, so changing one without the other fails.
/// </summary>
public sealed class RollupsVersionTests
{
    // When the install script or a fragment it takes from a summary changes: bump RollupsSql.Version (and decide
    // MinReaderVersion), then record the new version and the digest this test prints.
    private const int PinnedVersion = 10;
    private const string PinnedDigest = "b7a977adbd48350c25b24dd18a74de2c53c8485408a8a794c20640bcc412dce9";

    [Fact]
    public void The_install_script_changes_only_with_a_version_bump()
    {
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(RollupsSql.Install)));

        Assert.True((RollupsSql.Version, digest) == (PinnedVersion, PinnedDigest),
            $"RollupsSql.Version is {RollupsSql.Version} and the install script's digest {digest}; pinned: version {PinnedVersion}, " +
            $"digest {PinnedDigest}. A changed script needs a version bump; then pin both here.");
    }

    [Fact]
    public void The_install_script_is_every_file_of_the_install_folder_once()
    {
        const string prefix = "PeerMetrics.Api.Rollups.Install.";
        var embedded = typeof(RollupsSql).Assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(name => name[prefix.Length..]);

        Assert.Equal(embedded.Order(StringComparer.Ordinal), RollupsSql.InstallFiles.Order(StringComparer.Ordinal));
        // The second transaction takes the six tables' locks before anything else.
        Assert.StartsWith("LOCK TABLE ", RollupsSql.InstallParts().Triggers.Split('\n').First(line => !line.StartsWith("--", StringComparison.Ordinal)));
    }
}
