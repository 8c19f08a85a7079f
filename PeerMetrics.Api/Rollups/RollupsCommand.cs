using Microsoft.EntityFrameworkCore;
using Npgsql;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries;

namespace PeerMetrics.Api.Rollups;

/// <summary>
/// <c>dotnet run --project PeerMetrics.Api -- rollups install | uninstall | status | verify [--app &lt;id&gt;]</c>.
/// Progress goes to stderr, results to stdout. Reads ConnectionStrings__peermetrics.
/// </summary>
public static class RollupsCommand
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitDifferent = 3;

    public const string Usage = """
        usage: PeerMetrics.Api rollups install | uninstall | status | verify [--app <id>] | script

          install    create the rollups (schema peermetrics_rollups and triggers on the peermetrics tables), then
                     backfill them from the existing rows in batches; re-run it to resume an interrupted backfill
          uninstall  remove every rollups object and trigger; the peermetrics tables are left as before
          status     phase, backfill progress, backlog and lag
          verify     compare every summary's rollup answer with its raw answer over a few windows, for every
                     app or only --app <id>; exit code 3 when any differs
          script     print the install SQL (for review; install runs it)
        """;

    internal sealed record Options(string Verb, Guid? App, bool Help);

    public static Task<int> RunAsync(WebApplicationBuilder builder, string[] args) =>
        RunAsync(builder, args, Console.Out, Console.Error, CancellationToken.None);

    public static async Task<int> RunAsync(WebApplicationBuilder builder, string[] args, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken)
    {
        if (!TryParse(args, out var options, out var error))
        {
            await stderr.WriteLineAsync($"rollups: {error}");
            await stderr.WriteLineAsync(Usage);
            return ExitUsage;
        }
        if (options.Help)
        {
            await stdout.WriteLineAsync(Usage);
            return ExitOk;
        }
        if (options.Verb == "script")
        {
            await stdout.WriteLineAsync(RollupsSql.Install);
            return ExitOk;
        }
        var connectionString = builder.Configuration.GetConnectionString(DatabaseExtensions.ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await stderr.WriteLineAsync(
                $"rollups: no database configured: set ConnectionStrings__{DatabaseExtensions.ConnectionName} (a Npgsql connection string).");
            return ExitFailed;
        }
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 };
        try
        {
            await using var connection = new NpgsqlConnection(settings.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            switch (options.Verb)
            {
                case "install":
                    await stderr.WriteLineAsync("rollups: installing");
                    var locking = RollupsLocking.From(Bind(builder));
                    if (await RollupsDatabase.InstallAsync(connection, locking, message => stderr.WriteLine($"rollups: {message}"),
                            cancellationToken) == RollupsInstallResult.NewerLeftAlone)
                    {
                        // A rollback or an old binary: the newer install stays, its Apis maintain it.
                        await WriteStatusAsync(connection, stdout, cancellationToken);
                        return ExitOk;
                    }
                    await stderr.WriteLineAsync("rollups: installed; backfilling");
                    var backfill = builder.Configuration.GetValue($"{RollupsOptions.SectionName}:{nameof(RollupsOptions.BackfillBatch)}", 2_000);
                    var resetDelay = builder.Configuration.GetValue($"{RollupsOptions.SectionName}:{nameof(RollupsOptions.ResetDelay)}",
                        TimeSpan.FromSeconds(5));
                    await RollupsDatabase.CatchUpAsync(connection, backfill, resetDelay, message => stderr.WriteLine($"rollups: {message}"),
                        cancellationToken);
                    await WriteStatusAsync(connection, stdout, cancellationToken);
                    return ExitOk;
                case "uninstall":
                    await RollupsDatabase.UninstallAsync(connection, RollupsLocking.From(Bind(builder)),
                        message => stderr.WriteLine($"rollups: {message}"), cancellationToken);
                    await stdout.WriteLineAsync("rollups: uninstalled");
                    return ExitOk;
                case "status":
                    await WriteStatusAsync(connection, stdout, cancellationToken);
                    return ExitOk;
                default:
                    if (await RollupsDatabase.StatusAsync(connection, cancellationToken) is not { } installed)
                    {
                        await stderr.WriteLineAsync("rollups: not installed");
                        return ExitFailed;
                    }
                    if (!installed.Readable)
                    {
                        await stderr.WriteLineAsync($"rollups: {RollupsMonitor.VersionReason(installed)}; nothing to verify with this build");
                        return ExitFailed;
                    }
                    var windows = RollupsVerifier.Windows(DateTime.UtcNow);
                    var differences = await RollupsVerifier.VerifyAsync(connection, options.App is { } app ? [app] : null, windows,
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
                    return differences.Count == 0 ? ExitOk : ExitDifferent;
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"rollups: failed: {e.Message}");
            return ExitFailed;
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

    internal static bool TryParse(string[] args, out Options options, out string error)
    {
        options = new Options("", null, false);
        error = "";
        if (args is ["-h" or "--help", ..])
        {
            options = options with { Help = true };
            return true;
        }
        if (args is not [("install" or "uninstall" or "status" or "verify" or "script") and var verb, .. var rest])
        {
            error = args.Length == 0 ? "a command is required" : $"unknown command '{args[0]}'";
            return false;
        }
        Guid? app = null;
        for (var i = 0; i < rest.Length; i++)
        {
            switch (rest[i])
            {
                case "--app" when verb == "verify":
                    if (i + 1 >= rest.Length || !Guid.TryParse(rest[++i], out var parsed))
                    {
                        error = "--app needs an app id (a UUID)";
                        return false;
                    }
                    app = parsed;
                    break;
                default:
                    error = $"unknown argument '{rest[i]}'";
                    return false;
            }
        }
        options = new Options(verb, app, false);
        return true;
    }
}
