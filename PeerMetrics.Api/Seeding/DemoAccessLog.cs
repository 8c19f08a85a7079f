using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Data;
using PeerMetrics.Tokens;

namespace PeerMetrics.Api.Seeding;

/// <summary>
/// The newcomer's first call: once the start-up demo data is there (just seeded or found), logs a dashboard token
/// of the demo organization and its app ids as the variables of <c>PeerMetrics.Api.http</c>, so nobody needs the
/// AppHost's connection string or signing key to make one. With <c>Auth:DjangoSession</c> on, also a web dashboard
/// session cookie of a demo user (<see cref="DemoSession"/>). The database start-up calls it only in
/// Development.
/// </summary>
public sealed partial class DemoAccessLog(
    TokenIssuer tokens, IOptions<DjangoSessionOptions> sessions, TimeProvider time, ILogger<DemoAccessLog> logger)
{
    public async Task WriteAsync(PeerMetricsDbContext db, CancellationToken cancellationToken)
    {
        // The demo ids depend on neither the scale nor the anchor of a seed.
        var demo = new DemoDataGenerator(1, DateTime.UnixEpoch);
        var organization = demo.MainOrganization;
        var apps = await db.Apps.AsNoTracking()
            .Where(app => app.OrganizationId == organization.Id)
            .OrderBy(app => app.Name)
            .Select(app => new { app.Id, app.Name })
            .ToListAsync(cancellationToken);
        if (apps.Count == 0)
        {
            LogNoDemoOrganization(organization.Name);
            return;
        }

        var first = apps.FirstOrDefault(app => app.Id == demo.DominantApp.Id) ?? apps[0];
        var others = apps.Where(app => app != first).Select(app => $"{app.Id} ({app.Name})").ToList();
        LogAccess(tokens.CreateOrganizationToken(organization.Id, SeedCommand.TokenLifetime), first.Id, first.Name,
            SeedCommand.TokenLifetime.TotalDays, organization.Name, others.Count == 0 ? "none" : string.Join(", ", others));

        if (sessions.Value is { Enabled: true } settings)
        {
            var key = await DemoSession.SignInAsync(db, organization.Id, settings.SecretKey!, SeedCommand.TokenLifetime, time,
                cancellationToken);
            LogSession(settings.CookieName, key, DemoSession.Username, SeedCommand.TokenLifetime.TotalDays);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = """
        Demo data is ready. To call the Api, paste these lines into PeerMetrics.Api/PeerMetrics.Api.http (the token is valid for {Days} days):
        @token = {Token}
        @appId = {AppId}
        (@appId is {AppName}; the other apps of {Organization}: {OtherApps})
        """)]
    private partial void LogAccess(string token, Guid appId, string appName, double days, string organization, string otherApps);

    [LoggerMessage(Level = LogLevel.Information, Message = """
        The web dashboard's session of the demo user {Username}, valid for {Days} days, is the cookie:
        {CookieName}={SessionKey}
        """)]
    private partial void LogSession(string cookieName, string sessionKey, string username, double days);

    [LoggerMessage(Level = LogLevel.Information, Message = "The database holds no demo organization ({Organization}); no demo token to print")]
    private partial void LogNoDemoOrganization(string organization);
}
