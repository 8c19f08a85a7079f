using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PeerMetrics.Api.Data;

public static class DatabaseExtensions
{
    public const string ConnectionName = "peermetrics";

    public static IHostApplicationBuilder AddPeerMetricsDatabase(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<PeerMetricsDbContext>(ConnectionName,
            // No retrying strategy: during a database outage a summary must fail fast so the cache can serve
            // its last good value, instead of every request waiting through a series of retries.
            settings =>
            {
                settings.DisableRetry = true;
                settings.ConnectionString = WithoutJit(settings.ConnectionString);
            },
            ConfigureContext);
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName);
        builder.Services.AddHostedService<DatabaseInitializer>();
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

    internal static void ConfigureContext(DbContextOptionsBuilder options) =>
        // The schema is hand-written SQL (Django's exact DDL), so there is no EF model snapshot to compare with.
        options.ConfigureWarnings(warnings => warnings.Ignore(RelationalEventId.PendingModelChangesWarning));
}
