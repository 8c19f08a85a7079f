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

    /// <summary>
    /// The longest a summary or drill-down statement may run (whole seconds, at least 1). Past it Npgsql cancels the
    /// statement on the server and the request answers 503 <c>service_unavailable</c>.
    /// </summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most connections one Api process opens to the database (Npgsql's <c>Maximum Pool Size</c>, applied to
    /// the connection string). Replicas × this must stay well under the server's <c>max_connections</c>, which the
    /// Django application shares.
    /// </summary>
    public int MaxPoolSize { get; set; } = 20;

    /// <summary>The statement timeout as Npgsql's command timeout (whole seconds).</summary>
    public int StatementTimeoutSeconds => (int)Math.Ceiling(StatementTimeout.TotalSeconds);

    /// <summary>Why these settings cannot be used, or null.</summary>
    public string? Problem() =>
        StatementTimeout < TimeSpan.FromSeconds(1) || StatementTimeout > TimeSpan.FromHours(1)
            ? "Database:StatementTimeout must be between 00:00:01 and 01:00:00."
            : MaxPoolSize is < 1 or > 1000
                ? "Database:MaxPoolSize must be between 1 and 1000."
                : null;
}
