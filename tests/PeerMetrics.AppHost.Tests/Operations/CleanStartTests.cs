using PeerMetrics.AppHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeerMetrics.AppHost.Tests.Operations;

/// <summary>
/// A fresh start and a restart with the defaults leave nothing for a developer to worry about: no line at
/// Warning or above from the Api or the Prewarmer, no line per outgoing request, the demo token once.
/// </summary>
[Collection(RestartCollection.Name)]
public sealed class CleanStartTests(RestartFixture app, ITestOutputHelper output) : IDisposable
{
    private readonly IDisposable _logs = app.Logs.Attach(output);

    public static TheoryData<string> Starts => ["fresh start", "restart"];

    [Theory]
    [MemberData(nameof(Starts))]
    public void Nothing_is_logged_at_warning_or_above_by_the_api_or_the_prewarmer(string start)
    {
        var record = Record(start);
        output.WriteLine($"{start}: {record.Api.Count} api lines, {record.Prewarmer.Count} prewarmer lines");

        var warnings = ResourceLogs.WarningsOrAbove(record.Api).Concat(ResourceLogs.WarningsOrAbove(record.Prewarmer)).ToList();
        warnings.ForEach(output.WriteLine);
        Assert.Empty(warnings);
    }

    [Theory]
    [MemberData(nameof(Starts))]
    public void The_prewarmer_logs_no_line_per_outgoing_request(string start)
    {
        var prewarmer = Record(start).Prewarmer;

        // Its cycle line says how many requests it made; each would otherwise have had a Polly line.
        Assert.Contains(prewarmer, line => line.Text.StartsWith("Warmed ", StringComparison.Ordinal));
        Assert.DoesNotContain(prewarmer, line => line.Text.Contains("Execution attempt", StringComparison.Ordinal));
        Assert.DoesNotContain(prewarmer, line => line.Text.Contains("HTTP request", StringComparison.Ordinal));
    }

    [Fact]
    public void A_fresh_start_migrates_and_seeds_and_a_restart_finds_both_done()
    {
        Assert.Contains(app.FreshStart.Api, line => line.Text.StartsWith("Applying migration", StringComparison.Ordinal));
        Assert.Contains(app.FreshStart.Api, line => line.Text.StartsWith("Seeded demo data", StringComparison.Ordinal));

        Assert.DoesNotContain(app.Restart.Api, line => line.Text.StartsWith("Applying migration", StringComparison.Ordinal));
        Assert.Contains(app.Restart.Api, line => line.Text.StartsWith("No migrations were applied", StringComparison.Ordinal));
        Assert.Contains(app.Restart.Api, line => line.Text.StartsWith("Database already has organizations", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Starts))]
    public void The_demo_token_and_app_id_are_logged_once(string start)
    {
        var access = DemoAccess.Single(Record(start).Api);

        Assert.NotEqual(Guid.Empty, access.AppId);
        Assert.Equal(3, access.Token.Split('.').Length);
    }

    private StartRecord Record(string start) => start == "restart" ? app.Restart : app.FreshStart;

    public void Dispose() => _logs.Dispose();
}
