using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// <c>dotnet run --project PeerMetrics.Api -- rollups install | uninstall | status | verify [--app &lt;id&gt;] | script</c>.
/// Progress goes to stderr, results to stdout. Reads ConnectionStrings__peermetrics.
/// </summary>
public static class RollupsCommand
{
    public const string Name = "rollups";
    public const int ExitDifferent = 3;

    public static Command Create(WebApplicationBuilder builder)
    {
        var app = new Option<Guid?>("--app") { Description = "verify only this app", HelpName = "id", CustomParser = ParseApp };
        Command[] verbs =
        [
            new("install", "create the rollups (schema peermetrics_rollups and triggers on the peermetrics tables), then " +
                "backfill them from the existing rows in batches; re-run it to resume an interrupted backfill"),
            new("uninstall", "remove every rollups object and trigger; the peermetrics tables are left as before"),
            new("status", "phase, backfill progress, backlog and lag"),
            new("verify", "compare every summary's rollup answer with its raw answer over a few windows, for every app " +
                "or only --app <id>; exit code 3 when any differs") { app },
            new("script", "print the install SQL (for review; install runs it)"),
        ];
        var command = new Command(Name, "The write-time rollups of the database of ConnectionStrings__peermetrics. " +
            "Progress goes to stderr, results to stdout.");
        foreach (var verb in verbs)
        {
            verb.SetAction((parsed, cancellationToken) => RunAsync(builder, verb.Name, parsed.GetValue(app),
                parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error, cancellationToken));
            command.Add(verb);
        }
        return command;
    }

    private static Guid? ParseApp(ArgumentResult result)
    {
        var value = result.Tokens[0].Value;
        if (Guid.TryParse(value, out var app))
        {
            return app;
        }
        result.AddError($"--app needs an app id (a UUID), got '{value}'.");
        return null;
    }

    private static async Task<int> RunAsync(WebApplicationBuilder builder, string verb, Guid? app, TextWriter stdout,
        TextWriter stderr, CancellationToken cancellationToken)
    {
        if (verb == "script")
        {
            await stdout.WriteLineAsync(RollupsSql.Install);
            return CommandExit.Ok;
        }
        var connectionString = builder.Configuration.GetConnectionString(DatabaseExtensions.ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await stderr.WriteLineAsync(
                $"rollups: no database configured: set ConnectionStrings__{DatabaseExtensions.ConnectionName} (a Npgsql connection string).");
            return CommandExit.Failed;
        }
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 };
        try
        {
            await using var connection = new NpgsqlConnection(settings.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            switch (verb)
            {
                case "install":
                    await stderr.WriteLineAsync("rollups: installing");
                    var locking = RollupsLocking.From(Bind(builder));
                    if (await RollupsDatabase.InstallAsync(connection, locking, message => stderr.WriteLine($"rollups: {message}"),
                            cancellationToken) == RollupsInstallResult.NewerLeftAlone)
                    {
                        // A rollback or an old binary: the newer install stays, its Apis maintain it.
                        await WriteStatusAsync(connection, stdout, cancellationToken);
                        return CommandExit.Ok;
                    }
                    await stderr.WriteLineAsync("rollups: installed; backfilling");
                    var backfill = builder.Configuration.GetValue($"{RollupsOptions.SectionName}:{nameof(RollupsOptions.BackfillBatch)}", 2_000);
                    var resetDelay = builder.Configuration.GetValue($"{RollupsOptions.SectionName}:{nameof(RollupsOptions.ResetDelay)}",
                        TimeSpan.FromSeconds(5));
                    await RollupsDatabase.CatchUpAsync(connection, backfill, resetDelay, message => stderr.WriteLine($"rollups: {message}"),
                        cancellationToken);
                    await WriteStatusAsync(connection, stdout, cancellationToken);
                    return CommandExit.Ok;
                case "uninstall":
                    await RollupsDatabase.UninstallAsync(connection, RollupsLocking.From(Bind(builder)),
                        message => stderr.WriteLine($"rollups: {message}"), cancellationToken);
                    await stdout.WriteLineAsync("rollups: uninstalled");
                    return CommandExit.Ok;
                case "status":
                    await WriteStatusAsync(connection, stdout, cancellationToken);
                    return CommandExit.Ok;
                default:
                    if (await RollupsDatabase.StatusAsync(connection, cancellationToken) is not { } installed)
                    {
                        await stderr.WriteLineAsync("rollups: not installed");
                        return CommandExit.Failed;
                    }
                    if (!installed.Readable)
                    {
                        await stderr.WriteLineAsync($"rollups: {RollupsMonitor.VersionReason(installed)}; nothing to verify with this build");
                        return CommandExit.Failed;
                    }
                    var windows = RollupsVerifier.Windows(DateTime.UtcNow);
                    var differences = await RollupsVerifier.VerifyAsync(connection, app is { } only ? [only] : null, windows,
                        cancellationToken);
                    foreach (var difference in differences)
                    {
                        await stdout.WriteLineAsync(
                            $"DIFFERENT {difference.Summary} app={difference.App} from={difference.From:O} until={difference.Until:O}");
                        await stdout.WriteLineAsync($"  raw:    {string.Join(" ; ", difference.Raw)}");
                        await stdout.WriteLineAsync($"  rollup: {string.Join(" ; ", difference.Rollup)}");
                    }
                    await stdout.WriteLineAsync(differences.Count == 0
                        ? $"rollups: verified {SummaryCatalog.All.Count} summaries over {windows.Count} windows: identical"
                        : $"rollups: {differences.Count} difference(s)");
                    return differences.Count == 0 ? CommandExit.Ok : ExitDifferent;
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"rollups: failed: {e.Message}");
            return CommandExit.Failed;
        }
    }

    private static RollupsOptions Bind(WebApplicationBuilder builder)
    {
        var options = new RollupsOptions();
        builder.Configuration.GetSection(RollupsOptions.SectionName).Bind(options);
        return options;
    }

    private static async Task WriteStatusAsync(NpgsqlConnection connection, TextWriter stdout, CancellationToken cancellationToken)
    {
        var status = await RollupsDatabase.StatusAsync(connection, cancellationToken);
        await stdout.WriteLineAsync(status is null
            ? "rollups: not installed"
            : $"rollups: version {status.Version} (readers from {status.MinReaderVersion}; this build {RollupsSql.Version}" +
              $"{(status.Readable ? "" : ", cannot read it")}), {status.Phase}{(status.Ready ? "" : " (not ready)")}, backfill " +
              $"{status.BackfillDone}/{status.BackfillTotal} conferences, backlog {status.Backlog} rows, lag {status.LagSeconds:F3} s");
    }
}
