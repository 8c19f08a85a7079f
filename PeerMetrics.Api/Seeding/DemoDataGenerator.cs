using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Seeding;

/// <summary>Rows of one slice of the demo data; the seeder copies each list into its table.</summary>
public sealed class DemoChunk
{
    public List<Organization> Organizations { get; } = [];
    public List<App> Apps { get; } = [];
    public List<Conference> Conferences { get; } = [];
    public List<Participant> Participants { get; } = [];
    public List<ParticipantConference> ParticipantConferences { get; } = [];
    public List<Session> Sessions { get; } = [];
    public List<Connection> Connections { get; } = [];
    public List<Issue> Issues { get; } = [];
}

/// <summary>One demo app: how much traffic it gets and when.</summary>
/// <param name="MinAgeDays">Conferences are created between <paramref name="MinAgeDays"/> and
/// <paramref name="MaxAgeDays"/> days before the anchor; 0 means "up to now" (and allows ongoing calls).</param>
/// <param name="LargeCallShare">Share of conferences with 9+ participants (webinars, classes).</param>
public sealed record DemoAppPlan(
    string Name, string Slug, int Organization, int ConferencesAtScale1, int MinAgeDays, int MaxAgeDays,
    bool IsActive, string? Domain, double LargeCallShare);

/// <summary>
/// Pure, deterministic generator of the demo data. The same scale always yields the same rows and ids: ids are
/// a hash of (table, sequence number) and every random choice comes from per-app <see cref="Random"/>s with
/// fixed seeds. Timestamps are offsets from <see cref="Anchor"/>, and no random draw depends on the anchor, so
/// a later run only shifts times. Rows are produced in chunks so that scale 10 never sits in memory at once.
/// </summary>
public sealed class DemoDataGenerator
{
    public const int RandomSeed = 20261127;

    /// <summary>The tenants. App 0 is the dominant one; "Acme Classroom" has no conference in the last 2 days.</summary>
    public static readonly IReadOnlyList<(string Name, bool IsActive)> OrganizationPlans =
    [
        ("Acme Health", true),
        ("Globex Meetings", true),
        ("Initech (closed)", false),
    ];

    public static readonly IReadOnlyList<DemoAppPlan> AppPlans =
    [
        new("Acme Telehealth", "tele", 0, 18_000, 0, 7, true, "telehealth.acme.example", 0.01),
        new("Acme Support Desk", "support", 0, 1_500, 0, 7, true, null, 0.005),
        new("Acme Classroom", "class", 0, 600, 3, 21, true, "classroom.acme.example", 0.10),
        new("Acme Legacy Widget", "legacy", 0, 300, 30, 60, false, null, 0.01),
        new("Globex Rooms", "rooms", 1, 2_500, 0, 7, true, "rooms.globex.example", 0.02),
        new("Globex Webinars", "webinar", 1, 800, 0, 7, true, "webinars.globex.example", 0.25),
        new("Initech Chat", "chat", 2, 150, 10, 40, true, null, 0.0),
    ];

    private const double OngoingShare = 0.004;
    private const double InactiveShare = 0.01;
    private const double NoSessionShare = 0.13;
    private const double RejoinShare = 0.04;
    private const double ReuseParticipantShare = 0.12;

    // Day/night traffic by UTC hour of day.
    private static readonly DemoCatalog.WeightedList<int> HourOfDay = new(
        new double[] { 1, 1, 1, 1, 2, 3, 5, 8, 11, 13, 14, 14, 13, 13, 14, 14, 13, 11, 9, 7, 5, 3, 2, 1 }
            .Select((w, hour) => new DemoCatalog.Weighted<int>(hour, w)));

    // Conference durations, [min, max) seconds: a weight per duration bucket of the summary, by position, so all
    // 12 are populated; the open last bucket is drawn up to 3 hours.
    private static readonly DemoCatalog.WeightedList<(int Min, int Max)> DurationBucket = WeightedBuckets(
        ConferenceDurationSummary.Buckets, openMax: 10_800,
        [12, 14, 10, 14, 10, 8, 6, 6, 7, 5, 4, 4]);

    // Negotiation setup time, [min, max) ms: a weight per setup-time bucket of the summary, by position; the open
    // last bucket is drawn up to 20 s.
    private static readonly DemoCatalog.WeightedList<(int Min, int Max)> SetupBucket = WeightedBuckets(
        ConnectionSetupTimeSummary.Buckets, openMax: 20_000,
        [20, 22, 15, 10, 10, 6, 4, 3, 3, 2, 5]);

    private static DemoCatalog.WeightedList<(int Min, int Max)> WeightedBuckets(
        BucketTable buckets, int openMax, double[] weights)
    {
        var ranges = buckets.Rows.Select(bucket => (bucket.Min, Max: bucket.Max ?? openMax)).ToList();
        if (ranges.Count != weights.Length)
        {
            throw new InvalidOperationException($"{weights.Length} weights for {ranges.Count} buckets: one weight per bucket, in order.");
        }
        return new(ranges.Zip(weights, (range, weight) => new DemoCatalog.Weighted<(int Min, int Max)>(range, weight)));
    }

    private static readonly DemoCatalog.WeightedList<int> SmallCallSize = new(
        [new(1, 22), new(2, 56), new(3, 12), new(4, 6), new(5, 2), new(6, 1), new(7, 0.6), new(8, 0.4)]);

    private static readonly DemoCatalog.WeightedList<string?> ConnectionType = new(
        [new("h", 30), new("s", 30), new("p", 5), new("r", 22), new(null, 13)]);

    private static readonly DemoCatalog.WeightedList<string> FirstStatus = new(
        [new("connected", 80), new("stable", 6), new("failed", 9), new("connecting", 5)]);

    private static readonly string[] Unparseable = ["", "n/a", "not a date", "2024-13-45 99:99:99"];

    private readonly Dictionary<Table, ulong> _sequence = [];
    private readonly ArrayBufferWriter<byte> _json = new();
    private readonly Utf8JsonWriter _writer;

    public DemoDataGenerator(double scale, DateTime anchorUtc, int conferencesPerChunk = 2_000)
    {
        if (!double.IsFinite(scale) || scale <= 0 || scale > 1_000)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be a number in (0, 1000].");
        }
        Scale = scale;
        Anchor = DateTime.SpecifyKind(anchorUtc, DateTimeKind.Utc);
        ConferencesPerChunk = Math.Max(1, conferencesPerChunk);
        _writer = new Utf8JsonWriter(_json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        var anchorDay = Anchor.Date;
        Organizations = OrganizationPlans.Select((plan, i) => new Organization
        {
            Id = Id(Table.Organization, (ulong)i),
            Name = plan.Name,
            CreatedAt = anchorDay.AddDays(-400 + 30 * i),
            IsActive = plan.IsActive,
        }).ToList();
        Apps = AppPlans.Select((plan, i) => new App
        {
            Id = Id(Table.App, (ulong)i),
            Name = plan.Name,
            ApiKey = Id(Table.ApiKey, (ulong)i).ToString("N"),
            Domain = plan.Domain,
            Interval = 10_000,
            Recording = true,
            DurationsDays = "{}",
            CreatedAt = anchorDay.AddDays(-(plan.MaxAgeDays + 30)),
            IsActive = plan.IsActive,
            OrganizationId = Organizations[plan.Organization].Id,
        }).ToList();
    }

    public double Scale { get; }

    /// <summary>"Now" for the data: conferences are placed relative to it.</summary>
    public DateTime Anchor { get; }

    public int ConferencesPerChunk { get; }

    public IReadOnlyList<Organization> Organizations { get; }

    public IReadOnlyList<App> Apps { get; }

    /// <summary>The organization that owns the dominant app.</summary>
    public Organization MainOrganization => Organizations[AppPlans[0].Organization];

    public App DominantApp => Apps[0];

    public int TotalConferences => AppPlans.Sum(p => ConferencesFor(p, Scale));

    /// <summary>The current UTC hour: reruns within the hour produce identical timestamps too.</summary>
    public static DateTime AnchorFor(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        return new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, DateTimeKind.Utc);
    }

    public static int ConferencesFor(DemoAppPlan plan, double scale) =>
        Math.Max(1, (int)Math.Round(plan.ConferencesAtScale1 * scale, MidpointRounding.AwayFromZero));

    /// <summary>
    /// Organizations and apps first, then conferences with everything that hangs off them, app by app, each
    /// parent before its children. The apps' <c>durations_days</c> totals are only known once the last chunk
    /// has been produced: they are then set on <see cref="Apps"/>, and the writer stores them afterwards.
    /// </summary>
    public IEnumerable<DemoChunk> Generate()
    {
        _sequence.Clear();
        var chunk = new DemoChunk();
        chunk.Organizations.AddRange(Organizations);
        chunk.Apps.AddRange(Apps);
        foreach (var app in Apps)
        {
            app.DurationsDays = "{}";
        }
        var inChunk = 0;

        for (var appIndex = 0; appIndex < AppPlans.Count; appIndex++)
        {
            var app = new AppState(AppPlans[appIndex], Apps[appIndex], new Random(RandomSeed + 7919 * (appIndex + 1)));
            var count = ConferencesFor(app.Plan, Scale);
            for (var i = 0; i < count; i++)
            {
                AddConference(app, chunk);
                if (++inChunk >= ConferencesPerChunk)
                {
                    yield return chunk;
                    chunk = new DemoChunk();
                    inChunk = 0;
                }
            }
            app.Row.DurationsDays = DurationsDaysJson(app.DurationsByDay);
        }

        yield return chunk;
    }

    private enum Table : ulong
    {
        Organization = 1, App, ApiKey, Conference, Participant, Session, Connection, Issue,
    }

    private sealed class AppState(DemoAppPlan plan, App row, Random random)
    {
        public DemoAppPlan Plan { get; } = plan;
        public App Row { get; } = row;
        public Random Random { get; } = random;
        public int ConferenceSequence { get; set; }
        public int ParticipantSequence { get; set; }

        /// <summary>Recently seen people, so some participants return for several calls.</summary>
        public List<Participant> Recent { get; } = [];

        /// <summary>A few SFU servers per app, reused by every large call.</summary>
        public Participant?[] Sfus { get; } = new Participant?[3];

        public SortedDictionary<DateOnly, long> DurationsByDay { get; } = [];
    }

    private readonly record struct Member(Participant Participant, bool HasSession);

    private void AddConference(AppState app, DemoChunk chunk)
    {
        var random = app.Random;
        var ongoing = app.Plan.MinAgeDays == 0 && random.NextDouble() < OngoingShare;
        var createdAt = ongoing
            ? Anchor - Micros(random, TimeSpan.FromMinutes(45))
            : CreatedAt(random, app.Plan.MinAgeDays, app.Plan.MaxAgeDays);
        var duration = ongoing ? 0 : Between(random, DurationBucket.Pick(random));
        var size = random.NextDouble() < app.Plan.LargeCallShare ? random.Next(9, 41) : SmallCallSize.Pick(random);
        // Bigger calls go through an SFU (one connection per session); small ones are peer-to-peer meshes.
        var useSfu = random.NextDouble() < size switch { >= 5 => 1.0, 4 => 0.5, 3 => 0.15, _ => 0.0 };

        var conference = new Conference
        {
            Id = Id(Table.Conference, Next(Table.Conference)),
            ConferenceId = $"{app.Plan.Slug}-{app.ConferenceSequence++:x6}",
            ConferenceName = random.NextDouble() < 0.2 ? null : $"{Title(app.Plan.Slug)} {random.Next(1, 10_000)}",
            ConferenceInfo = random.NextDouble() < 0.05 ? null : "{}",
            StartTime = createdAt,
            CallStart = size >= 2 ? createdAt + Micros(random, TimeSpan.FromSeconds(20)) : null,
            EndTime = ongoing ? null : createdAt.AddSeconds(duration),
            Ongoing = ongoing,
            Duration = duration,
            CreatedAt = createdAt,
            IsActive = random.NextDouble() >= InactiveShare,
            AppId = app.Row.Id,
        };
        chunk.Conferences.Add(conference);
        if (createdAt >= Anchor.Date.AddDays(-30))
        {
            var day = DateOnly.FromDateTime(createdAt);
            app.DurationsByDay[day] = app.DurationsByDay.GetValueOrDefault(day) + duration;
        }

        var members = new List<Member>(size);
        for (var i = 0; i < size; i++)
        {
            var participant = app.Recent.Count > 20 && random.NextDouble() < ReuseParticipantShare
                ? app.Recent[random.Next(app.Recent.Count)]
                : null;
            if (participant is null || members.Exists(m => m.Participant == participant))
            {
                participant = NewParticipant(app, chunk, createdAt, isSfu: false);
            }
            members.Add(new Member(participant, random.NextDouble() >= NoSessionShare));
            chunk.ParticipantConferences.Add(new ParticipantConference { ParticipantId = participant.Id, ConferenceId = conference.Id });
        }

        Participant? sfu = null;
        if (useSfu)
        {
            var slot = random.Next(app.Sfus.Length);
            sfu = app.Sfus[slot] ??= NewParticipant(app, chunk, createdAt, isSfu: true);
            // The SFU joins the conference like anyone else but never opens a session.
            chunk.ParticipantConferences.Add(new ParticipantConference { ParticipantId = sfu.Id, ConferenceId = conference.Id });
        }

        var sessions = new List<Session>();
        foreach (var member in members.Where(m => m.HasSession))
        {
            var joinOffset = Micros(random, TimeSpan.FromSeconds(Math.Min(30, Math.Max(1, duration))));
            var start = createdAt + joinOffset;
            var length = ongoing ? 0 : Math.Max(0, duration - (int)joinOffset.TotalSeconds - random.Next(0, 30));
            if (random.NextDouble() < RejoinShare && length > 10)
            {
                var first = length / 2;
                sessions.Add(NewSession(random, chunk, conference, member.Participant, start, first, ongoing: false));
                start = start.AddSeconds(first + random.Next(2, 10));
                length -= first + 10;
                length = Math.Max(0, length);
            }
            sessions.Add(NewSession(random, chunk, conference, member.Participant, start, length, ongoing));
        }

        var connections = new List<Connection>();
        var withSession = members.Where(m => m.HasSession).Select(m => m.Participant).ToList();
        foreach (var session in sessions)
        {
            if (random.NextDouble() < 0.08)
            {
                continue; // never got as far as a peer connection (gum failure, left early)
            }
            List<Participant> peers = sfu is not null
                ? [sfu]
                : withSession.Where(p => p.Id != session.ParticipantId).ToList();
            foreach (var peer in peers)
            {
                connections.Add(NewConnection(random, chunk, session, peer, ongoing));
            }
        }

        AddIssues(random, chunk, conference, sessions, connections);
    }

    private Participant NewParticipant(AppState app, DemoChunk chunk, DateTime createdAt, bool isSfu)
    {
        var random = app.Random;
        var sequence = app.ParticipantSequence++;
        var participant = new Participant
        {
            Id = Id(Table.Participant, Next(Table.Participant)),
            ParticipantId = isSfu ? $"sfu-{app.Plan.Slug}-{sequence:x6}" : $"{app.Plan.Slug}-user-{sequence:x7}",
            ParticipantName = isSfu
                ? "mediasoup SFU"
                : random.NextDouble() < 0.15 ? null
                : $"{DemoCatalog.FirstNames[random.Next(DemoCatalog.FirstNames.Length)]} {DemoCatalog.LastNames[random.Next(DemoCatalog.LastNames.Length)]}",
            IsSfu = isSfu,
            CreatedAt = createdAt,
            IsActive = isSfu || random.NextDouble() >= InactiveShare,
            AppId = app.Row.Id,
        };
        chunk.Participants.Add(participant);
        if (!isSfu)
        {
            if (app.Recent.Count < 512)
            {
                app.Recent.Add(participant);
            }
            else
            {
                app.Recent[random.Next(app.Recent.Count)] = participant;
            }
        }
        return participant;
    }

    private Session NewSession(Random random, DemoChunk chunk, Conference conference, Participant participant,
        DateTime start, int length, bool ongoing)
    {
        var session = new Session
        {
            Id = Id(Table.Session, Next(Table.Session)),
            Constraints = DemoCatalog.Constraints.Pick(random),
            Devices = DemoCatalog.Devices.Pick(random),
            Platform = DemoCatalog.Platform.Pick(random),
            Metadata = DemoCatalog.Metadata.Pick(random),
            GeoIp = DemoCatalog.GeoIp.Pick(random),
            AppVersion = DemoCatalog.AppVersion.Pick(random),
            WebrtcSdk = DemoCatalog.WebrtcSdk.Pick(random),
            SessionInfo = "{}",
            Duration = ongoing ? 0 : length,
            EndTime = ongoing ? null : start.AddSeconds(length),
            CallStart = random.NextDouble() < 0.03 ? null : start + Micros(random, TimeSpan.FromSeconds(3)),
            CreatedAt = start,
            IsActive = random.NextDouble() >= InactiveShare,
            ConferenceId = conference.Id,
            ParticipantId = participant.Id,
        };
        chunk.Sessions.Add(session);
        return session;
    }

    private Connection NewConnection(Random random, DemoChunk chunk, Session session, Participant peer, bool ongoing)
    {
        var start = session.CreatedAt + Micros(random, TimeSpan.FromSeconds(3));
        var end = session.EndTime is { } sessionEnd && sessionEnd > start ? sessionEnd : (DateTime?)null;
        if (!ongoing && end is null)
        {
            end = start.AddSeconds(1);
        }
        var type = ConnectionType.Pick(random);
        var (info, status) = ConnectionInfo(random, start, end, type);
        var connection = new Connection
        {
            Id = Id(Table.Connection, Next(Table.Connection)),
            Type = type,
            State = ongoing ? "connected"
                : status == "failed" ? "failed"
                : random.NextDouble() < 0.05 ? "disconnected"
                : "closed",
            ConnectionInfo = info,
            StartTime = start,
            EndTime = end,
            Duration = end is { } e ? (int)(e - start).TotalSeconds : 0,
            CreatedAt = start,
            IsActive = random.NextDouble() >= InactiveShare,
            ConferenceId = session.ConferenceId,
            ParticipantId = session.ParticipantId,
            PeerId = peer.Id,
            SessionId = session.Id,
        };
        chunk.Connections.Add(connection);
        return connection;
    }

    private enum TimeFormat { Python, PythonWholeSeconds, IsoZ, IsoUtcOffset, IsoLocalOffset, IsoNoOffset }

    private static readonly DemoCatalog.WeightedList<TimeFormat> TimeFormats = new(
    [
        new(TimeFormat.Python, 80), new(TimeFormat.PythonWholeSeconds, 6), new(TimeFormat.IsoZ, 5),
        new(TimeFormat.IsoUtcOffset, 3), new(TimeFormat.IsoLocalOffset, 3), new(TimeFormat.IsoNoOffset, 3),
    ]);

    /// <summary>
    /// <c>connection_info</c> as the peermetrics API writes it (docs/schema.md, JSON shapes), with Python <c>str(datetime)</c>
    /// times, plus the rows the setup-time summary must skip: negative, unparseable, non-object values.
    /// </summary>
    private (string? Json, string? FirstStatus) ConnectionInfo(Random random, DateTime start, DateTime? connectionEnd, string? type)
    {
        var shape = random.NextDouble();
        switch (shape)
        {
            case < 0.003:
                return (null, null);
            case < 0.006:
                return ("\"connecting\"", null);
            case < 0.009:
                return ("[]", null);
            case < 0.02:
                return ("""{"detected_tcp": false, "negotiations": [], "detected_turn": false}""", null);
        }

        var status = FirstStatus.Pick(random);
        var setup = TimeSpan.FromMilliseconds(Between(random, SetupBucket.Pick(random))) + Micros(random, TimeSpan.FromMilliseconds(1));
        var format = TimeFormats.Pick(random);
        var anomaly = random.NextDouble();
        var renegotiations = random.NextDouble() < 0.15 ? random.Next(1, 3) : 0;
        var detectedTcp = random.NextDouble() < 0.03;
        var offset = TimeSpan.FromHours(random.Next(0, 2) == 0 ? 2 : -5);
        var badValue = random.Next(Unparseable.Length + 2);

        var negotiationStart = format == TimeFormat.PythonWholeSeconds ? WholeSeconds(start) : start;
        DateTime? negotiationEnd = status switch
        {
            "connected" or "stable" => start + setup,
            // Connection.end() stamps pending negotiations with the end time; onconnectionstatechange leaves it null.
            "failed" => connectionEnd is { } end && anomaly < 0.6 ? end : null,
            _ => null,
        };
        if (format == TimeFormat.PythonWholeSeconds && negotiationEnd is { } whole)
        {
            negotiationEnd = WholeSeconds(whole);
        }

        var w = _writer;
        _json.ResetWrittenCount();
        w.Reset(_json);
        w.WriteStartObject();
        w.WriteBoolean("detected_tcp", detectedTcp);
        w.WriteStartArray("negotiations");
        w.WriteStartObject();
        w.WriteString("type", "initial");
        w.WriteString("status", status);
        var startText = FormatTime(negotiationStart, format, offset);
        var endText = negotiationEnd is { } ne ? FormatTime(ne, format, offset) : null;
        if (anomaly < 0.01 && endText is not null)
        {
            (startText, endText) = (endText, startText); // clock went backwards: end before start
        }
        if (anomaly is >= 0.01 and < 0.025)
        {
            // Unparseable start or end: "", "n/a", garbage, JSON null or a number.
            WriteBadTime(w, random.Next(2) == 0 ? "start_time" : "end_time", badValue, startText, endText);
        }
        else
        {
            w.WriteString("start_time", startText);
            if (endText is null) { w.WriteNull("end_time"); } else { w.WriteString("end_time", endText); }
        }
        if (negotiationEnd is { } finished && status is "connected" or "stable")
        {
            w.WriteNumber("duration", (int)(finished - negotiationStart).TotalSeconds);
        }
        else
        {
            w.WriteNull("duration");
        }
        w.WriteEndObject();

        var later = (negotiationEnd ?? start) + TimeSpan.FromSeconds(5);
        for (var i = 0; i < renegotiations; i++)
        {
            later += TimeSpan.FromSeconds(random.Next(5, 120));
            var done = later + TimeSpan.FromMilliseconds(random.Next(20, 400));
            w.WriteStartObject();
            w.WriteString("type", "renegotiation");
            w.WriteString("status", "stable");
            w.WriteString("start_time", PythonTime(later));
            w.WriteString("end_time", PythonTime(done));
            w.WriteNumber("duration", 0);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteBoolean("detected_turn", type == "r");
        w.WriteEndObject();
        w.Flush();
        return (Encoding.UTF8.GetString(_json.WrittenSpan), status);
    }

    private static void WriteBadTime(Utf8JsonWriter w, string badKey, int badValue, string startText, string? endText)
    {
        foreach (var key in new[] { "start_time", "end_time" })
        {
            var good = key == "start_time" ? startText : endText;
            if (key != badKey)
            {
                if (good is null) { w.WriteNull(key); } else { w.WriteString(key, good); }
            }
            else if (badValue < Unparseable.Length)
            {
                w.WriteString(key, Unparseable[badValue]);
            }
            else if (badValue == Unparseable.Length)
            {
                w.WriteNull(key);
            }
            else
            {
                w.WriteNumber(key, 1_705_314_600); // epoch seconds: a number, not a time string
            }
        }
    }

    private static string FormatTime(DateTime utc, TimeFormat format, TimeSpan localOffset) => format switch
    {
        TimeFormat.Python or TimeFormat.PythonWholeSeconds => PythonTime(utc),
        TimeFormat.IsoZ => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        TimeFormat.IsoUtcOffset => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture),
        TimeFormat.IsoLocalOffset => new DateTimeOffset(utc.Ticks + localOffset.Ticks, localOffset)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture),
        TimeFormat.IsoNoOffset => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>Python's <c>str(datetime)</c>: the fraction is omitted when the microseconds are 0.</summary>
    public static string PythonTime(DateTime utc) => utc.Ticks % TimeSpan.TicksPerSecond == 0
        ? utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
        : utc.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private void AddIssues(Random random, DemoChunk chunk, Conference conference, List<Session> sessions, List<Connection> connections)
    {
        var errors = random.NextDouble() < 0.07 ? random.Next(1, 3) : 0;
        var warnings = random.NextDouble() < 0.22 ? random.Next(1, 4) : 0;
        if (sessions.Count == 0)
        {
            return; // app_issue.session_id is NOT NULL
        }
        for (var i = 0; i < errors + warnings; i++)
        {
            var (code, type) = i < errors ? DemoCatalog.Error.Pick(random) : DemoCatalog.Warning.Pick(random);
            var session = sessions[random.Next(sessions.Count)];
            Connection? connection = null;
            if (DemoCatalog.IsConnectionIssue(code))
            {
                var own = connections.Where(c => c.SessionId == session.Id).ToList();
                connection = own.Count > 0 ? own[random.Next(own.Count)] : null;
            }
            // Django creates these two without a conference (docs/schema.md, Stored values); keep some of each kind.
            var withoutConference = code is "icecandidateerror" or "turn_used" && random.NextDouble() < 0.5;
            chunk.Issues.Add(new Issue
            {
                Id = Id(Table.Issue, Next(Table.Issue)),
                Type = type,
                Code = code,
                Data = code switch
                {
                    "getusermedia_error" => DemoCatalog.GumData.Pick(random),
                    "icecandidateerror" => DemoCatalog.IceCandidateErrorData.Pick(random),
                    "low_emos" => Average(random, 3.0, 4.0),
                    "very_low_emos" => Average(random, 1.2, 3.0),
                    _ => null,
                },
                CreatedAt = session.CreatedAt + Micros(random, TimeSpan.FromSeconds(Math.Max(1, session.Duration))),
                IsActive = random.NextDouble() >= 0.03,
                ConferenceId = withoutConference ? null : conference.Id,
                ConnectionId = connection?.Id,
                ParticipantId = random.NextDouble() < 0.03 ? null : session.ParticipantId,
                SessionId = session.Id,
                TrackId = null,
            });
        }
    }

    private static string Average(Random random, double min, double max) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"average": {{Math.Round(min + random.NextDouble() * (max - min - 0.01), 2)}}}""");

    private static string DurationsDaysJson(SortedDictionary<DateOnly, long> days)
    {
        var builder = new StringBuilder("{");
        foreach (var (day, seconds) in days)
        {
            if (builder.Length > 1)
            {
                builder.Append(", ");
            }
            builder.Append(CultureInfo.InvariantCulture, $"\"{day:yyyy-MM-dd}\": {seconds}");
        }
        return builder.Append('}').ToString();
    }

    /// <summary>
    /// A time <paramref name="minDays"/>..<paramref name="maxDays"/> days before the anchor, shaped by hour of day.
    /// Always three draws, whatever the anchor, so the anchor never changes which rows exist.
    /// </summary>
    private DateTime CreatedAt(Random random, int minDays, int maxDays)
    {
        var dayOffset = minDays + random.Next(maxDays - minDays);
        var hour = HourOfDay.Pick(random);
        var withinHour = Micros(random, TimeSpan.FromHours(1));
        var time = Anchor.Date.AddDays(-dayOffset).AddHours(hour) + withinHour;
        // Today's later hours have not happened yet: fold them back by the window length.
        return time > Anchor ? time.AddDays(-(maxDays - minDays)) : time;
    }

    private static int Between(Random random, (int Min, int Max) range) => random.Next(range.Min, range.Max);

    /// <summary>A random duration in [0, max) with microsecond resolution, as Postgres stores it.</summary>
    private static TimeSpan Micros(Random random, TimeSpan max) =>
        TimeSpan.FromTicks(random.NextInt64(0, Math.Max(1, max.Ticks / 10)) * 10);

    private static DateTime WholeSeconds(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static string Title(string slug) => slug switch
    {
        "tele" => "Consultation",
        "support" => "Support call",
        "class" => "Class",
        "legacy" => "Widget call",
        "rooms" => "Room",
        "webinar" => "Webinar",
        _ => "Chat",
    };

    private ulong Next(Table table)
    {
        var value = _sequence.GetValueOrDefault(table);
        _sequence[table] = value + 1;
        return value;
    }

    /// <summary>A version-4-shaped UUID derived from (table, sequence): stable across runs and machines.</summary>
    private static Guid Id(Table table, ulong sequence)
    {
        var high = SplitMix64(((ulong)RandomSeed << 32) ^ ((ulong)table << 56) ^ sequence);
        var low = SplitMix64(high ^ 0x9E3779B97F4A7C15UL ^ sequence);
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, high);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], low);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (Guid stores the third group little-endian)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
