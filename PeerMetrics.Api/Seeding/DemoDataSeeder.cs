namespace PeerMetrics.Api.Seeding;

/// <summary>Fills the database with deterministic demo data. (Implementation lands with the generator.)</summary>
public sealed class DemoDataSeeder(ILogger<DemoDataSeeder> logger)
{
    public Task SeedIfEmptyAsync(double scale, CancellationToken cancellationToken)
    {
        logger.LogInformation("Demo data generator not implemented yet (scale {Scale})", scale);
        return Task.CompletedTask;
    }
}
