using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Tests.Caching;

/// <summary>An app with a little of everything, so each of the eight summaries has a non-empty body.</summary>
public static class CacheTestData
{
    public static async Task<(Organization Organization, App App)> SeedAppAsync(string connectionString, int conferences = 1)
    {
        var data = new TestData(connectionString);
        var organization = data.Organization();
        var app = data.App(organization);
        for (var i = 0; i < conferences; i++)
        {
            AddConference(data, app, i);
        }
        await data.SaveAsync();
        return (organization, app);
    }

    /// <summary>A conference of <paramref name="app"/> with two participants, a relayed connection and a getUserMedia error.</summary>
    public static void AddConference(TestData data, App app, int index)
    {
        var conference = data.Conference(app, c => c.Duration = 90 + index);
        var alice = data.Participant(app);
        var bob = data.Participant(app);
        data.Join(alice, conference);
        data.Join(bob, conference);
        var session = data.Session(conference, alice, s =>
        {
            s.Platform = """{"browser": {"name": "Chrome"}, "os": {"name": "Windows"}}""";
            s.GeoIp = """{"country_code": "US", "city": "San Jose", "latitude": "37.34", "longitude": "-121.9"}""";
        });
        data.Session(conference, bob);
        data.Connection(session, bob, c =>
        {
            c.Type = "r";
            c.ConnectionInfo = """{"negotiations": [{"status": "connected", "start_time": "2026-03-28 11:59:00", "end_time": "2026-03-28 11:59:00.300000"}]}""";
        });
        data.Issue(session, "getusermedia_error", "w", issue => issue.Data = """{"name": "NotAllowedError", "message": "Permission denied"}""");
    }
}
