using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PeerMetrics.Api.Data;

public static class DatabaseExtensions
{
    public const string ConnectionName = "peermetrics";

    public static IHostApplicationBuilder AddPeerMetricsDatabase(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<PeerMetricsDbContext>(ConnectionName, configureDbContextOptions: ConfigureContext);
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName);
        builder.Services.AddHostedService<DatabaseInitializer>();
        return builder;
    }

    internal static void ConfigureContext(DbContextOptionsBuilder options) =>
        // The schema is hand-written SQL (Django's exact DDL), so there is no EF model snapshot to compare with.
        options.ConfigureWarnings(warnings => warnings.Ignore(RelationalEventId.PendingModelChangesWarning));
}
