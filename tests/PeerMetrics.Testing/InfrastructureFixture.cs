namespace PeerMetrics.Testing;

/// <summary>
/// One Postgres cluster and one Redis shared by the tests of the assembly that do not take them down.
/// Each test class creates its own database, so data never leaks between classes.
/// </summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    public PostgresServer Postgres { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartNewAsync();
        Redis = await RedisServer.StartNewAsync();
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
