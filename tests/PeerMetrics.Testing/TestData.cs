using Microsoft.EntityFrameworkCore;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Testing;

/// <summary>
/// Builds small, hand-made datasets for exact-body tests. Every row gets sensible defaults (active, created
/// at <see cref="Now"/>) that a test overrides with the <c>with</c>-style configure callbacks.
/// </summary>
public sealed class TestData(string connectionString)
{
    public static readonly DateTime Now = new(2026, 3, 28, 12, 0, 0, DateTimeKind.Utc);

    private readonly List<object> _rows = [];

    public Organization Organization(Action<Organization>? configure = null) =>
        Add(new Organization { Id = Guid.NewGuid(), Name = "org", CreatedAt = Now, IsActive = true }, configure);

    public App App(Organization organization, Action<App>? configure = null) =>
        Add(new App
        {
            Id = Guid.NewGuid(), Name = "app", ApiKey = Guid.NewGuid().ToString("N"), Interval = 10000, Recording = true,
            DurationsDays = "{}", CreatedAt = Now, IsActive = true, OrganizationId = organization.Id,
        }, configure);

    public Conference Conference(App app, Action<Conference>? configure = null) =>
        Add(new Conference
        {
            Id = Guid.NewGuid(), ConferenceId = Guid.NewGuid().ToString("N"), ConferenceInfo = "{}", CreatedAt = Now,
            IsActive = true, AppId = app.Id,
        }, configure);

    public Participant Participant(App app, Action<Participant>? configure = null) =>
        Add(new Participant
        {
            Id = Guid.NewGuid(), ParticipantId = Guid.NewGuid().ToString("N"), CreatedAt = Now, IsActive = true, AppId = app.Id,
        }, configure);

    public ParticipantConference Join(Participant participant, Conference conference) =>
        Add(new ParticipantConference { ParticipantId = participant.Id, ConferenceId = conference.Id }, null);

    public Session Session(Conference conference, Participant participant, Action<Session>? configure = null) =>
        Add(new Session
        {
            Id = Guid.NewGuid(), CreatedAt = Now, IsActive = true, ConferenceId = conference.Id, ParticipantId = participant.Id,
        }, configure);

    public Connection Connection(Session session, Participant peer, Action<Connection>? configure = null) =>
        Add(new Connection
        {
            Id = Guid.NewGuid(), State = "connected", CreatedAt = Now, IsActive = true, ConferenceId = session.ConferenceId,
            ParticipantId = session.ParticipantId, PeerId = peer.Id, SessionId = session.Id,
        }, configure);

    public Issue Issue(Session session, string code, string type, Action<Issue>? configure = null) =>
        Add(new Issue
        {
            Id = Guid.NewGuid(), Code = code, Type = type, CreatedAt = Now, IsActive = true,
            ConferenceId = session.ConferenceId, ParticipantId = session.ParticipantId, SessionId = session.Id,
        }, configure);

    /// <summary>Writes everything added so far in one transaction (the FKs are deferred to commit).</summary>
    public async Task SaveAsync()
    {
        var options = new DbContextOptionsBuilder<PeerMetricsDbContext>().UseNpgsql(connectionString).Options;
        await using var db = new PeerMetricsDbContext(options);
        db.AddRange(_rows);
        await db.SaveChangesAsync();
        _rows.Clear();
    }

    private T Add<T>(T row, Action<T>? configure) where T : class
    {
        configure?.Invoke(row);
        _rows.Add(row);
        return row;
    }
}
