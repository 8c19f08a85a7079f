using System.Text;
using Microsoft.EntityFrameworkCore;

namespace PeerMetrics.Api.Data;

/// <summary>
/// EF Core view of the peermetrics schema. The schema itself is created by hand-written SQL migrations
/// (see <c>Migrations/</c>) because EF cannot express what Django created: deferrable foreign keys,
/// serial join-table ids, hashed constraint names.
/// </summary>
public sealed class PeerMetricsDbContext(DbContextOptions<PeerMetricsDbContext> options) : DbContext(options)
{
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<App> Apps => Set<App>();
    public DbSet<Conference> Conferences => Set<Conference>();
    public DbSet<Participant> Participants => Set<Participant>();
    public DbSet<ParticipantConference> ParticipantConferences => Set<ParticipantConference>();
    public DbSet<Session> Sessions => Set<Session>();
    public DbSet<Connection> Connections => Set<Connection>();
    public DbSet<Issue> Issues => Set<Issue>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Organization>().ToTable("organization");
        modelBuilder.Entity<App>().ToTable("app");
        modelBuilder.Entity<Conference>().ToTable("conference");
        modelBuilder.Entity<Participant>().ToTable("participant");
        modelBuilder.Entity<ParticipantConference>().ToTable("participant_conferences");
        modelBuilder.Entity<Session>().ToTable("app_session");
        modelBuilder.Entity<Connection>().ToTable("app_connection");
        modelBuilder.Entity<Issue>().ToTable("app_issue");

        modelBuilder.Entity<App>().Property(a => a.Name).HasMaxLength(64);
        modelBuilder.Entity<App>().Property(a => a.ApiKey).HasMaxLength(32);

        // Django names every column in snake_case and stores JSON as jsonb.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }
        }

        foreach (var (entity, properties) in JsonColumns)
        {
            foreach (var property in properties)
            {
                modelBuilder.Entity(entity).Property(property).HasColumnType("jsonb");
            }
        }
    }

    private static readonly (Type Entity, string[] Properties)[] JsonColumns =
    [
        (typeof(App), [nameof(App.DurationsDays)]),
        (typeof(Conference), [nameof(Conference.ConferenceInfo)]),
        (typeof(Session), [nameof(Session.Constraints), nameof(Session.Devices), nameof(Session.Platform),
            nameof(Session.Metadata), nameof(Session.GeoIp), nameof(Session.SessionInfo)]),
        (typeof(Connection), [nameof(Connection.ConnectionInfo)]),
        (typeof(Issue), [nameof(Issue.Data)]),
    ];

    private static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }
}
