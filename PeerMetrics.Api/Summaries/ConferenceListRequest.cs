namespace PeerMetrics.Api.Summaries;

/// <summary>
/// A validated drill-down request: the filters given (null when absent; at least one is set) and the page, null
/// when neither <c>limit</c> nor <c>offset</c> was given (the whole list is streamed).
/// </summary>
public sealed record ConferenceListRequest(
    Guid? AppId,
    Guid? ParticipantId,
    DateTime? CreatedAtGt,
    DateTime? CreatedAtGte,
    DateTime? CreatedAtLt,
    DateTime? CreatedAtLte,
    int? DurationGte,
    int? DurationLt,
    string? IssueCode,
    Guid[]? ConferenceIds,
    ConferencePage? Page);

/// <summary>One page of the drill-down: <see cref="Limit"/> already clamped, <see cref="Offset"/> 0 or more.</summary>
public sealed record ConferencePage(int Limit, int Offset);
