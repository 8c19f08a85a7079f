using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using PeerMetrics.Api.Data;

namespace PeerMetrics.Api.Rollups;

public static class RollupsExtensions
{
    /// <summary>
    /// The rollups' options (mode defaulting from <c>Database:ApplyMigrations</c>), the monitor that says
    /// whether they can serve, the maintainer, the health check entry and the metrics.
    /// </summary>
    public static IHostApplicationBuilder AddRollups(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RollupsOptions>()
            .BindConfiguration(RollupsOptions.SectionName)
            .PostConfigure<IOptions<DatabaseOptions>>((rollups, database) =>
                rollups.Mode ??= database.Value.ApplyMigrations ? RollupsMode.On : RollupsMode.Off)
            .Validate(rollups => rollups.MaxLogRows > 0, "Rollups:MaxLogRows must be above zero")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RollupsMonitor>();
        builder.Services.AddSingleton<RollupsShadow>();
        builder.Services.AddHostedService<RollupsMaintainer>();
        builder.Services.AddHealthChecks().AddCheck<RollupsHealthCheck>("rollups");
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(RollupsMonitor.MeterName));
        return builder;
    }
}
