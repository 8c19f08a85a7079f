using System.Text.RegularExpressions;

namespace PeerMetrics.AppHost.Tests.Infrastructure;

/// <summary>The demo token and app id the Api logs in Development, read back as a newcomer pastes them.</summary>
public sealed partial record DemoAccess(string Token, Guid AppId)
{
    /// <summary>Every <c>@token</c>/<c>@appId</c> pair in the logs, in order.</summary>
    public static IReadOnlyList<DemoAccess> FindAll(IReadOnlyList<ResourceLogLine> lines)
    {
        var found = new List<DemoAccess>();
        for (var i = 0; i + 1 < lines.Count; i++)
        {
            if (TokenLine().Match(lines[i].Text) is { Success: true } token
                && AppIdLine().Match(lines[i + 1].Text) is { Success: true } appId)
            {
                found.Add(new DemoAccess(token.Groups[1].Value, Guid.Parse(appId.Groups[1].Value)));
            }
        }
        return found;
    }

    public static DemoAccess Single(IReadOnlyList<ResourceLogLine> lines) => Assert.Single(FindAll(lines));

    /// <summary>The web dashboard's session cookie of the demo user (<c>name=value</c>), logged next to the token.</summary>
    public static string SessionCookie(IReadOnlyList<ResourceLogLine> lines) =>
        Assert.Single(lines, line => SessionCookieLine().IsMatch(line.Text)).Text;

    [GeneratedRegex(@"^@token = (\S+)$")]
    private static partial Regex TokenLine();

    [GeneratedRegex(@"^pmsession=[a-z0-9]{32}$")]
    private static partial Regex SessionCookieLine();

    [GeneratedRegex(@"^@appId = (\S+)$")]
    private static partial Regex AppIdLine();
}
