using Npgsql;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Benchmarks;

/// <summary>
/// One organization sends 16 concurrent requests for windows nobody cached (every one a cold compute); another
/// organization's warm hits and cold computes are timed with and without that load, interleaved.
/// </summary>
public static class TenantIsolation
{
    private const int BusyConnections = 16;
    private static readonly TimeSpan BusyWarmUp = TimeSpan.FromSeconds(2);

    public static async Task<Guid> MoveToNewOrganizationAsync(string connectionString, Guid appId)
    {
        var organization = Guid.NewGuid();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            INSERT INTO organization (id, name, created_at, is_active) VALUES (@org, 'isolation benchmark', now(), true);
            UPDATE app SET organization_id = @org WHERE id = @app;
            """, connection);
        command.Parameters.AddWithValue("org", organization);
        command.Parameters.AddWithValue("app", appId);
        await command.ExecuteNonQueryAsync();
        return organization;
    }

    public static async Task RunAsync(Uri address, string busyToken, string busyApp, string quietToken, string quietApp, int runs)
    {
        using var busy = Http.Client(address, busyToken, BusyConnections);
        using var quiet = Http.Client(address, quietToken, 1);
        var warmUrl = $"{ConferenceStatusSummary.Definition.Route}?appId={quietApp}&created_at_gte=2026-01-01T00:00:00Z";
        var minute = 0;
        string ColdUrl() => $"{ConnectionTypeSummary.Definition.Route}?appId={quietApp}&created_at_gte={DateTime.UtcNow.AddDays(-30).AddMinutes(-++minute):yyyy-MM-ddTHH:mm}Z";
        await Http.TimeAsync(quiet, warmUrl, noCache: false);

        Console.WriteLine();
        Console.WriteLine($"## Tenant isolation: another organization's requests while one sends {BusyConnections} concurrent cold requests");
        Console.WriteLine();
        Console.WriteLine("| phase | quiet warm p50 ms | quiet warm p99 ms | quiet cold p50 ms | quiet cold p99 ms | busy 2xx | busy 429 | busy 5xx |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        var idle = new List<(Stats Warm, Stats Cold)>();
        var loaded = new List<(Stats Warm, Stats Cold)>();
        for (var round = 1; round <= 2; round++)
        {
            var quietIdle = await MeasureAsync(quiet, warmUrl, ColdUrl, runs);
            idle.Add(quietIdle);
            Console.WriteLine($"| idle {round} | {quietIdle.Warm.P50:F2} | {quietIdle.Warm.P99:F2} | {quietIdle.Cold.P50:F1} | {quietIdle.Cold.P99:F1} | | | |");

            using var stop = new CancellationTokenSource();
            var load = BusyLoadAsync(busy, busyApp, round, stop.Token);
            await Task.Delay(BusyWarmUp);
            var quietLoaded = await MeasureAsync(quiet, warmUrl, ColdUrl, runs);
            await stop.CancelAsync();
            var (ok, limited, failed) = await load;
            loaded.Add(quietLoaded);
            Console.WriteLine($"| busy {round} | {quietLoaded.Warm.P50:F2} | {quietLoaded.Warm.P99:F2} | {quietLoaded.Cold.P50:F1} | {quietLoaded.Cold.P99:F1} | {ok} | {limited} | {failed} |");
        }
        var warmRatio = loaded.Average(r => r.Warm.P50) / idle.Average(r => r.Warm.P50);
        var coldRatio = loaded.Average(r => r.Cold.P50) / idle.Average(r => r.Cold.P50);
        Console.WriteLine();
        Console.WriteLine($"Quiet organization under load / idle (p50): warm {warmRatio:F2}× (target < 2×), cold {coldRatio:F2}× (target < 3×)");
    }

    internal static async Task<(Stats Warm, Stats Cold)> MeasureAsync(HttpClient client, string warmUrl, Func<string> coldUrl, int runs)
    {
        var warm = new List<double>();
        var cold = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            warm.Add(await Http.TimeAsync(client, warmUrl, noCache: false));
            cold.Add(await Http.TimeAsync(client, coldUrl(), noCache: false));
        }
        return (new Stats(warm), new Stats(cold));
    }

    // Each connection asks for a window of its own, a minute apart from every other: each request a cold compute.
    private static async Task<(int Ok, int Limited, int Failed)> BusyLoadAsync(HttpClient client, string app, int round, CancellationToken stop)
    {
        var ok = 0;
        var limited = 0;
        var failed = 0;
        var next = round * 1_000_000;
        await Task.WhenAll(Enumerable.Range(0, BusyConnections).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                var window = DateTime.UtcNow.AddDays(-30).AddMinutes(-Interlocked.Increment(ref next) % 500_000);
                try
                {
                    using var response = await client.GetAsync(
                        $"{SessionListSummary.Definition.Route}?appId={app}&created_at_gte={window:yyyy-MM-ddTHH:mm}Z", CancellationToken.None);
                    var status = (int)response.StatusCode;
                    if (status == 429)
                    {
                        Interlocked.Increment(ref limited);
                    }
                    else if (status >= 500)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    else
                    {
                        Interlocked.Increment(ref ok);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        return (ok, limited, failed);
    }
}
