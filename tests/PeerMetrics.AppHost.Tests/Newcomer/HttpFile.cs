using System.Text.RegularExpressions;

namespace PeerMetrics.AppHost.Tests.Newcomer;

/// <summary>
/// The part of the .http format PeerMetrics.Api.http uses: <c>@name = value</c> variables, requests after
/// <c>###</c> title lines (a request line, then headers), <c>{{name}}</c> substitution, <c>#</c> comments.
/// </summary>
public sealed partial class HttpFile
{
    public sealed record Request(string Title, string Method, string Url, IReadOnlyList<(string Name, string Value)> Headers);

    private readonly IReadOnlyList<(string Title, List<string> Lines)> _blocks;

    private HttpFile(IReadOnlyDictionary<string, string> variables, IReadOnlyList<(string Title, List<string> Lines)> blocks)
    {
        Variables = variables;
        _blocks = blocks;
    }

    public IReadOnlyDictionary<string, string> Variables { get; }

    public IReadOnlyList<Request> Requests => [.. _blocks.Select(Resolve).OfType<Request>()];

    public static HttpFile Read(string path)
    {
        var variables = new Dictionary<string, string>();
        var blocks = new List<(string Title, List<string> Lines)>();
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.StartsWith("###", StringComparison.Ordinal))
            {
                blocks.Add((line.TrimStart('#').Trim(), []));
            }
            else if (blocks.Count == 0 && Variable().Match(line) is { Success: true } variable)
            {
                variables[variable.Groups[1].Value] = variable.Groups[2].Value.Trim();
            }
            else if (blocks.Count > 0 && !line.TrimStart().StartsWith('#'))
            {
                blocks[^1].Lines.Add(line);
            }
        }
        return new HttpFile(variables, blocks);
    }

    /// <summary>The file with some variables replaced, as after pasting values into it.</summary>
    public HttpFile With(IReadOnlyDictionary<string, string> values)
    {
        var variables = new Dictionary<string, string>(Variables);
        foreach (var (name, value) in values)
        {
            variables[name] = value;
        }
        return new HttpFile(variables, _blocks);
    }

    private Request? Resolve((string Title, List<string> Lines) block)
    {
        var content = block.Lines.SkipWhile(string.IsNullOrWhiteSpace).TakeWhile(l => !string.IsNullOrWhiteSpace(l)).ToList();
        if (content.Count == 0)
        {
            return null;
        }
        var requestLine = content[0].Split(' ', 2, StringSplitOptions.TrimEntries);
        var headers = content.Skip(1)
            .Select(header => header.Split(':', 2, StringSplitOptions.TrimEntries))
            .Select(parts => (parts[0], Substitute(parts[1])))
            .ToList();
        return new Request(block.Title, requestLine[0], Substitute(requestLine[1]), headers);
    }

    private string Substitute(string text) =>
        Placeholder().Replace(text, m => Variables.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);

    [GeneratedRegex(@"^@(\w+)\s*=\s*(.*)$")]
    private static partial Regex Variable();

    [GeneratedRegex(@"\{\{(\w+)\}\}")]
    private static partial Regex Placeholder();
}
