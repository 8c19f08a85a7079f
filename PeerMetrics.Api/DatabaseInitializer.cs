using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PeerMetrics.Api.Auth;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Data.Migrations;
using PeerMetrics.Api.Rollups;
using PeerMetrics.Api.Seeding;

namespace PeerMetrics.Api;

/// <summary>
/// Migrates (and, when configured, seeds an empty database) before the Api accepts requests: it runs in
/// <see cref="StartAsync"/>, which the host awaits before it starts listening. Several instances starting at
/// once take turns (<see cref="DatabaseStartupLock"/>), so the work happens once. At the root with Program: it
/// composes Data, the rollups, the credentials and the seeding, which all sit below it.
/// </summary>
internal sealed class DatabaseInitializer(
    IServiceProvider services,
    IOptions<DatabaseOptions> options,
    IOptions<DjangoSessionOptions> sessions,
    IHostEnvironment environment,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>();
        await using var startupLock = await DatabaseStartupLock.AcquireAsync(db.Database.GetConnectionString()!, logger, cancellationToken);

        if (settings.ApplyMigrations)
        {
            using var activity = ApiTelemetry.Source.StartActivity("Migrate database");
            // Once, not retried (the context has no retrying strategy, see DatabaseExtensions): a failure stops the
            // start, and the orchestrator, which starts the Api once Postgres is healthy, starts it again.
            await db.ApplyMigrationsAsync(cancellationToken,
                RollupsLocking.From(scope.ServiceProvider.GetRequiredService<IOptions<RollupsOptions>>().Value), logger);
        }
        else
        {
            logger.LogInformation("Database:ApplyMigrations is off; using the schema as it is");
        }
        // Before seeding and before listening: a schema the Api cannot read stops the start (SchemaCheck.cs).
        await SchemaCheck.VerifyAsync(db, RequiredSchema.For(sessions.Value.Enabled), cancellationToken);

        if (settings.SeedDemoData)
        {
            using var activity = ApiTelemetry.Source.StartActivity("Seed demo data");
            var seeder = scope.ServiceProvider.GetRequiredService<DemoDataSeeder>();
            await seeder.SeedIfEmptyAsync(settings.DemoDataScale, cancellationToken);
            if (environment.IsDevelopment())
            {
                await scope.ServiceProvider.GetRequiredService<DemoAccessLog>().WriteAsync(db, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
