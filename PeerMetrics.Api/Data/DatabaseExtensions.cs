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
            settings => settings.DisableRetry = true,
            ConfigureContext);
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName);
        builder.Services.AddHostedService<DatabaseInitializer>();
        return builder;
    }

    internal static void ConfigureContext(DbContextOptionsBuilder options) =>
        // The schema is hand-written SQL (Django's exact DDL), so there is no EF model snapshot to compare with.
        options.ConfigureWarnings(warnings => warnings.Ignore(RelationalEventId.PendingModelChangesWarning));
}
