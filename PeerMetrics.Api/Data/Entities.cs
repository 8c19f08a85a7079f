namespace PeerMetrics.Api.Data;

// The peermetrics tables this service reads (and fills with demo data). JSON columns are jsonb that may hold
// any JSON value, so they are mapped as raw text and interpreted in SQL, never deserialized into shapes.
// Timestamps are UTC instants (timestamp with time zone).

public sealed class Organization
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool IsActive { get; set; }
}

public sealed class App
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string ApiKey { get; set; }
    public string? Domain { get; set; }
    public int Interval { get; set; }
    public bool Recording { get; set; }
    public string? DurationsDays { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool IsActive { get; set; }
    public Guid OrganizationId { get; set; }
}

public sealed class Conference
{
    public Guid Id { get; set; }
    public required string ConferenceId { get; set; }
    public string? ConferenceName { get; set; }
    public string? ConferenceInfo { get; set; }
    public DateTime? StartTime { get; set; }
    public DateTime? CallStart { get; set; }
    public DateTime? EndTime { get; set; }
    public bool Ongoing { get; set; }
    public int Duration { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool IsActive { get; set; }
    public Guid AppId { get; set; }
}

public sealed class Participant
{
    public Guid Id { get; set; }
    public required string ParticipantId { get; set; }
    public string? ParticipantName { get; set; }
    public bool IsSfu { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool IsActive { get; set; }
    public Guid AppId { get; set; }
}

/// <summary>The M2M join table: a surrogate serial id plus a unique (participant, conference) pair.</summary>
public sealed class ParticipantConference
{
    public int Id { get; set; }
    public Guid ParticipantId { get; set; }
    public Guid ConferenceId { get; set; }
}

public sealed class Session
{
    public Guid Id { get; set; }
    public string? Constraints { get; set; }
    public string? Devices { get; set; }
    public string? Platform { get; set; }
    public string? Metadata { get; set; }
    public string? GeoIp { get; set; }
    public string? AppVersion { get; set; }
    public string? WebrtcSdk { get; set; }
    public string? SessionInfo { get; set; }
    public int Duration { get; set; }
    public DateTime? EndTime { get; set; }
    public DateTime? CallStart { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool IsActive { get; set; }
    public Guid ConferenceId { get; set; }
    public Guid ParticipantId { get; set; }
}

public sealed class Connection
{
    public Guid Id { get; set; }
    public string? Type { get; set; }
    public required string State { get; set; }
    public string? ConnectionInfo { get; set; }
    public DateTime? StartTime { get; set; }
    public DateTime? EndTime { get; set; }
    public int Duration { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool IsActive { get; set; }
    public Guid ConferenceId { get; set; }
    public Guid ParticipantId { get; set; }
    public Guid PeerId { get; set; }
    public Guid SessionId { get; set; }
}

public sealed class Issue
{
    public Guid Id { get; set; }
    public required string Type { get; set; }
    public required string Code { get; set; }
    public string? Data { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool IsActive { get; set; }
    public Guid? ConferenceId { get; set; }
    public Guid? ConnectionId { get; set; }
    public Guid? ParticipantId { get; set; }
    public Guid SessionId { get; set; }
    public Guid? TrackId { get; set; }
}
