using System.Globalization;
using System.Text.Json;

namespace PeerMetrics.Api.Summaries;

/// <summary>One conference of the drill-down, as the body writes it.</summary>
public sealed record ConferenceRow(
    Guid Id,
    string ConferenceId,
    string? ConferenceName,
    JsonElement? ConferenceInfo,
    string? StartTime,
    string? CallStart,
    string? EndTime,
    bool Ongoing,
    int Duration,
    Guid App,
    string CreatedAt,
    bool HasErrors,
    bool HasWarnings,
    int ParticipantsCount);

/// <summary>
/// A row as <see cref="ConferenceListSql"/> returns it: the count of all matches, and one conference of the page.
/// Every column but <see cref="Total"/> is NULL on the single row of an empty page.
/// </summary>
internal sealed class ConferenceListRow
{
    public long Total { get; init; }
    public Guid? Id { get; init; }
    public string? ConferenceId { get; init; }
    public string? ConferenceName { get; init; }
    public string? ConferenceInfo { get; init; }
    public DateTime? StartTime { get; init; }
    public DateTime? CallStart { get; init; }
    public DateTime? EndTime { get; init; }
    public bool? Ongoing { get; init; }
    public int? Duration { get; init; }
    public Guid? App { get; init; }
    public DateTime? CreatedAt { get; init; }
    public bool? HasErrors { get; init; }
    public bool? HasWarnings { get; init; }
    public int? ParticipantsCount { get; init; }

    /// <summary>False on the empty page's count-only row.</summary>
    public bool HasConference => Id is not null;

    public ConferenceRow ToConference() => new(
        Id!.Value, ConferenceId!, ConferenceName,
        ConferenceInfo is null ? null : JsonDocument.Parse(ConferenceInfo).RootElement.Clone(),
        Naive(StartTime), Naive(CallStart), Naive(EndTime), Ongoing!.Value, Duration!.Value,
        App!.Value, Naive(CreatedAt)!, HasErrors!.Value, HasWarnings!.Value, ParticipantsCount!.Value);

    // The peermetrics API's str(datetime) of a naive UTC value; always with the microseconds, as the contract writes it.
    private static string? Naive(DateTime? utc) =>
        utc?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
}
