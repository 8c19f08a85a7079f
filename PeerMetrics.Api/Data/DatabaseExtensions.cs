using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PeerMetrics.Api.Data;

public static class DatabaseExtensions
{
    public const string ConnectionName = "peermetrics";

    public static IHostApplicationBuilder AddPeerMetricsDatabase(this IHostApplicationBuilder builder)
    {
        var database = builder.Configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (database.Problem() is { } invalid)
        {
            throw new InvalidOperationException(invalid);
        }
        builder.AddNpgsqlDbContext<PeerMetricsDbContext>(ConnectionName,
            // No retrying strategy: during a database outage a summary must fail fast so the cache can serve
            // its last good value, instead of every request waiting through a series of retries.
            settings =>
            {
                settings.DisableRetry = true;
                settings.ConnectionString = WithPoolSize(WithoutJit(settings.ConnectionString), database.MaxPoolSize);
            },
            ConfigureContext);
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName)
            .Validate(o => o.Problem() is null, "Database: StatementTimeout must be 1 s to 1 h, MaxPoolSize 1 to 1000.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// Summaries are short analytical queries whose estimated cost often passes Postgres' JIT threshold;
    /// compiling them costs more (up to seconds on a cold backend) than it saves. Set per connection, so it
    /// also holds against a database this service does not administer.
    /// </summary>
    internal static string? WithoutJit(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            return connectionString;
        }
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = string.IsNullOrEmpty(builder.Options) ? "-c jit=off" : $"{builder.Options} -c jit=off";
        return builder.ConnectionString;
    }

    /// <summary>
    /// An explicit bound on this process's connections (<c>Database:MaxPoolSize</c>), instead of Npgsql's 100: the
    /// server's connection slots are shared with the Django application.
    /// </summary>
    internal static string? WithPoolSize(string? connectionString, int maxPoolSize)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            return connectionString;
        }
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxPoolSize };
        if (builder.MinPoolSize > maxPoolSize)
        {
            builder.MinPoolSize = maxPoolSize;
        }
        return builder.ConnectionString;
    }

    internal static void ConfigureContext(DbContextOptionsBuilder options) =>
        options.ConfigureWarnings(warnings => warnings
            // The schema is hand-written SQL (Django's exact DDL), so there is no EF model snapshot to compare with.
            .Ignore(RelationalEventId.PendingModelChangesWarning)
            // A failed command is logged once, classified (outage or bug), where it surfaces: the request's error
            // handler or the start-up. EF's own Error lines would repeat it with the SQL text.
            .Log((RelationalEventId.CommandError, LogLevel.Debug), (CoreEventId.QueryIterationFailed, LogLevel.Debug)));
}
