using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Tests.Prewarming;

/// <summary>Apps on either side of the "active" line, relative to the real clock (the Prewarmer uses it).</summary>
public static class PrewarmTestData
{
    /// <summary>An app of <paramref name="organization"/> whose only conference was created <paramref name="age"/> ago.</summary>
    public static App AppWithConference(TestData data, Organization organization, TimeSpan age,
        bool appActive = true, bool conferenceActive = true)
    {
        var app = data.App(organization, a => a.IsActive = appActive);
        var conference = data.Conference(app, c =>
        {
            c.CreatedAt = DateTime.UtcNow - age;
            c.IsActive = conferenceActive;
            c.Duration = 120;
        });
        var participant = data.Participant(app);
        data.Join(participant, conference);
        data.Session(conference, participant, s => s.CreatedAt = conference.CreatedAt);
        return app;
    }
}
