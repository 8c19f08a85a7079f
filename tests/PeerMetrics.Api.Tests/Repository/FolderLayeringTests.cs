using System.Text.RegularExpressions;

namespace PeerMetrics.Api.Tests.Repository;

/// <summary>
/// PeerMetrics.Api's folders are layers (README "Architecture"): a file may use its own folder and the folders
/// below it, never one above. Checked on the source, which is what a reader follows: a file's
/// <c>using PeerMetrics.Api.X</c> directives and qualified names, and every type declared in another folder that
/// its code or its <c>cref</c>s name. The root holds the composition (Program, the endpoint mapping, the command
/// line, the database start-up), above every folder, and two types every folder may use.
/// </summary>
public sealed partial class FolderLayeringTests
{
    /// <summary>Top to bottom. Folders on one line are peers: neither uses the other.</summary>
    private static readonly string[][] Layers =
    [
        ["Internal", "Forwarding"],
        ["Summaries"],
        ["Seeding"],
        ["Data/Migrations"],
        ["Rollups"],
        ["Auth"],
        ["Caching"],
        ["Problems"],
        ["Summaries/Definitions"],
        ["Data", "Hosting"],
    ];

    /// <summary>Root types below every folder: the traces' source and the commands' exit codes.</summary>
    private static readonly string[] SharedRootTypes = ["ApiTelemetry", "CommandExit"];

    private static readonly string ApiDirectory = Path.Combine(RepositoryPaths.Root, "PeerMetrics.Api");

    [Fact]
    public void No_folder_uses_a_folder_above_it()
    {
        var files = SourceFiles();
        var declaredIn = files
            .SelectMany(file => TopLevelType().Matches(file.Text).Select(match => (Type: match.Groups["name"].Value, file.Layer)))
            .GroupBy(declaration => declaration.Type)
            .ToDictionary(group => group.Key, group => group.Select(declaration => declaration.Layer).Distinct().ToList());

        var violations = new List<string>();
        foreach (var file in files.Where(file => file.Layer >= 0))
        {
            var code = CodeAndCrefs(file.Text);
            var used = NamespaceUse().Matches(file.Text).Select(match => match.Groups["folder"].Value.Replace('.', '/'))
                .Select(folder => (Name: "namespace " + folder, Layer: LayerOf(folder)))
                .Concat(Identifier().Matches(code).Select(match => match.Value).Distinct()
                    .Where(declaredIn.ContainsKey)
                    // A name declared in several layers is ambiguous: the file may mean its own or a lower one.
                    .Where(name => declaredIn[name] is [var single] && single != file.Layer)
                    .Select(name => (Name: name, Layer: declaredIn[name][0])));
            violations.AddRange(used.Where(use => use.Layer < file.Layer)
                .Select(use => $"{file.Path} ({Describe(file.Layer)}) uses {use.Name} ({Describe(use.Layer)})"));
        }

        Assert.True(violations.Count == 0, "Move the type to the layer that needs it, or the user below:\n" + string.Join('\n', violations.Distinct()));
    }

    [Fact]
    public void Every_folder_has_a_layer_and_the_scan_sees_the_references()
    {
        var files = SourceFiles();
        var folders = files.Select(file => Path.GetDirectoryName(file.Path)!.Replace('\\', '/')).Where(folder => folder.Length > 0).Distinct();
        Assert.All(folders, folder => Assert.True(LayerOf(folder) >= 0, $"{folder} has no layer in {nameof(Layers)}"));

        // Without these, a scan that matched nothing would pass the test above.
        var pipeline = files.Single(file => file.Path == "Summaries/SummaryPipeline.cs");
        Assert.Contains("SummaryCache", Identifier().Matches(CodeAndCrefs(pipeline.Text)).Select(match => match.Value));
        Assert.Contains(NamespaceUse().Matches(pipeline.Text), match => match.Groups["folder"].Value == "Caching");
        Assert.True(LayerOf("Caching") > LayerOf("Summaries"));
    }

    private sealed record SourceFile(string Path, string Text, int Layer);

    private static List<SourceFile> SourceFiles() =>
        [.. Directory.EnumerateFiles(ApiDirectory, "*.cs", SearchOption.AllDirectories)
            .Select(path => System.IO.Path.GetRelativePath(ApiDirectory, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("bin/", StringComparison.Ordinal) && !path.StartsWith("obj/", StringComparison.Ordinal))
            .Select(path => new SourceFile(path, File.ReadAllText(System.IO.Path.Combine(ApiDirectory, path)),
                RootLayer(path)))];

    // The root's files are the composition, above every folder (-1), except the shared types (below every folder).
    private static int RootLayer(string path)
    {
        var folder = Path.GetDirectoryName(path)!.Replace('\\', '/');
        if (folder.Length > 0)
        {
            return LayerOf(folder);
        }
        return SharedRootTypes.Contains(Path.GetFileNameWithoutExtension(path)) ? Layers.Length : -1;
    }

    /// <summary>The layer of a folder (or of the folder above it, for a subfolder not listed); -1 when none.</summary>
    private static int LayerOf(string folder)
    {
        for (var candidate = folder; candidate.Length > 0; candidate = Path.GetDirectoryName(candidate)!.Replace('\\', '/'))
        {
            var index = Array.FindIndex(Layers, layer => layer.Contains(candidate));
            if (index >= 0)
            {
                return index;
            }
        }
        return -1;
    }

    private static string Describe(int layer) =>
        layer < 0 ? "root" : layer >= Layers.Length ? "shared root" : string.Join(", ", Layers[layer]);

    /// <summary>The text outside <c>//</c> comments, plus the types the comments' <c>cref</c>s name.</summary>
    private static string CodeAndCrefs(string text) =>
        string.Join('\n', text.Split('\n').Select(line =>
        {
            var comment = line.IndexOf("//", StringComparison.Ordinal);
            return comment < 0 ? line
                : line[..comment] + " " + string.Join(' ', Cref().Matches(line[comment..]).Select(match => match.Groups["target"].Value));
        }));

    [GeneratedRegex(@"^(?:(?:public|internal|static|sealed|abstract|partial|readonly|file)\s+)*(?:class|record|struct|enum|interface)\s+(?<name>[A-Z]\w*)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();

    [GeneratedRegex(@"\bPeerMetrics\.Api\.(?<folder>[A-Z]\w*(?:\.[A-Z]\w*)*)(?=\s*;|\.[A-Z])")]
    private static partial Regex NamespaceUse();

    // Not followed by a lowercase extension: "PeermetricsSchema.sql" names a file, not the migration class.
    [GeneratedRegex(@"\b[A-Z]\w*\b(?!\.[a-z])")]
    private static partial Regex Identifier();

    [GeneratedRegex("cref=\"(?<target>[^\"]+)\"")]
    private static partial Regex Cref();
}
