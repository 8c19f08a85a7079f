namespace PeerMetrics.Api.Data;

/// <summary>Start-up behaviour of the database, bound from the <c>Database</c> section.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>
    /// Apply this service's migrations at start-up. Turn off (<c>Database__ApplyMigrations=false</c>) when
    /// pointing the service at an existing peermetrics database whose schema Django owns.
    /// </summary>
    public bool ApplyMigrations { get; set; } = true;

    /// <summary>Fill an empty database with demo data at start-up (the AppHost turns this on).</summary>
    public bool SeedDemoData { get; set; }

    /// <summary>Scale of that demo data; 1 = the seed benchmark's size.</summary>
    public double DemoDataScale { get; set; } = 0.1;
}
