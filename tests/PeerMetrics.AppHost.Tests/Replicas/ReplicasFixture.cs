using PeerMetrics.AppHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Replicas;

/// <summary>The application with two Api replicas (<c>Api:Replicas=2</c>) on one empty database.</summary>
public sealed class ReplicasFixture(IMessageSink diagnostics) : AppHostFixture(diagnostics)
{
    public const int Replicas = 2;

    protected override IEnumerable<string> Settings => [$"Api:Replicas={Replicas}"];
}

[CollectionDefinition(Name)]
public sealed class ReplicasCollection : ICollectionFixture<ReplicasFixture>
{
    public const string Name = "apphost-replicas";
}
