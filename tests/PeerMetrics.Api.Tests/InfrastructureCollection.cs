namespace PeerMetrics.Api.Tests;

/// <summary>The test classes that share one Postgres cluster and one Redis (<see cref="InfrastructureFixture"/>).</summary>
[CollectionDefinition(Name)]
public sealed class InfrastructureCollection : ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "infrastructure";
}
