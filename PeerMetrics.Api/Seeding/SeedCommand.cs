using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using PeerMetrics.Api.Auth;
using PeerMetrics.Tokens;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Data.Migrations;

namespace PeerMetrics.Api.Seeding;

/// <summary>
/// <c>dotnet run --project PeerMetrics.Api -- seed --scale &lt;number&gt; [--force]</c>: migrates, wipes the peermetrics
/// tables and refills them with the deterministic demo data. Progress goes to stderr; the last stdout line is
/// one JSON object (organization, apps, token) that scripts and load tests read.
/// </summary>
public static class SeedCommand
{
    public const string Name = "seed";

    /// <summary>Lifetime of the printed token: long enough for a day of demos and load tests.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromDays(7);

    public static IHostApplicationBuilder AddDemoData(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DemoDataSeeder>();
        builder.Services.AddSingleton<DemoAccessLog>();
        return builder;
    }

    public static Command Create(WebApplicationBuilder builder)
    {
        var scale = new Option<double>("--scale")
        {
            Description = "size of the demo data; 1 = ~18,000 conferences in the dominant app over the last 7 days " +
                "(0 < scale <= 1000; 0.05 is enough for tests, 10 for load tests)",
            HelpName = "number",
            Required = true,
            CustomParser = ParseScale,
        };
        var force = new Option<bool>("--force")
        {
            Description = "also wipe a database the seed did not fill: one with a django_migrations table, organizations " +
                "the demo seed did not create, or rows without the seed's mark",
        };
        var command = new Command(Name,
            "Wipes the peermetrics tables (TRUNCATE, serials restarted) and refills them with demo data; reruns give the " +
            "same ids and counts. Reads ConnectionStrings__peermetrics and Auth__SigningKey (required outside Development). " +
            "Progress goes to stderr; the last stdout line is JSON: the organization, its apps and a dashboard token.")
        {
            scale,
            force,
        };
        command.SetAction((parsed, cancellationToken) => RunAsync(builder, parsed.GetValue(scale), parsed.GetValue(force),
            parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static double ParseScale(ArgumentResult result)
    {
        var value = result.Tokens[0].Value;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var scale)
            && double.IsFinite(scale) && scale > 0 && scale <= 1000)
        {
            return scale;
        }
        result.AddError($"--scale must be a number in (0, 1000], got '{value}'.");
        return 0;
    }

    private static async Task<int> RunAsync(WebApplicationBuilder builder, double scale, bool force, TextWriter stdout,
        TextWriter stderr, CancellationToken cancellationToken)
    {
        // stdout carries only the final JSON line; every log line goes to stderr.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);

        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(DatabaseExtensions.ConnectionName)))
        {
            await stderr.WriteLineAsync(
                $"seed: no database configured: set ConnectionStrings__{DatabaseExtensions.ConnectionName} (a Npgsql connection string).");
            return CommandExit.Failed;
        }

        builder.AddPeerMetricsDatabase();
        builder.AddPeerMetricsCredentials();
        builder.AddDemoData();
        await using var app = builder.Build();

        // Same rule as the Api: no usable signing key outside Development is an error, and it is checked
        // before anything is wiped.
        TokenIssuer issuer;
        try
        {
            _ = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
            issuer = app.Services.GetRequiredService<TokenIssuer>();
        }
        catch (OptionsValidationException e)
        {
            await stderr.WriteLineAsync($"seed: {e.Message}");
            return CommandExit.Failed;
        }

        try
        {
            using var scope = app.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<PeerMetricsDbContext>();
            if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.ApplyMigrations)
            {
                await stderr.WriteLineAsync("seed: applying migrations");
                await db.ApplyMigrationsAsync(cancellationToken);
            }
            else
            {
                await stderr.WriteLineAsync("seed: Database:ApplyMigrations is off; using the schema as it is");
            }

            var time = app.Services.GetRequiredService<TimeProvider>();
            var generator = new DemoDataGenerator(scale, DemoDataGenerator.AnchorFor(time.GetUtcNow()));
            await using var connection = await DemoDataSeeder.OpenAsync(db, cancellationToken);

            if (await RefusalAsync(connection, generator, cancellationToken) is { } refusal && !force)
            {
                await stderr.WriteLineAsync($"seed: {refusal}; refusing to wipe it. Pass --force to wipe anyway.");
                return CommandExit.Failed;
            }

            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"seed: wiping and refilling at scale {scale} (anchor {generator.Anchor:yyyy-MM-ddTHH:mm}Z)"));
            var result = await DemoDataSeeder.SeedAsync(connection, generator, wipe: true,
                message => stderr.WriteLine($"seed: {message}"), cancellationToken);

            var token = issuer.CreateOrganizationToken(result.MainOrganizationId, TokenLifetime);
            await stdout.WriteLineAsync(JsonSerializer.Serialize(new SeedOutput(
                result.MainOrganizationId,
                [.. result.Apps.Select(a => new SeedOutputApp(a.Id, a.Name, a.OrganizationId))],
                token,
                "wipe-and-refill",
                scale,
                result.Anchor,
                result.RowCounts,
                Math.Round(result.Elapsed.TotalSeconds, 2))));
            return CommandExit.Ok;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or DbUpdateException)
        {
            await stderr.WriteLineAsync($"seed: failed: {e.Message}");
            return CommandExit.Failed;
        }
    }

    /// <summary>
    /// Why the database must not be wiped, or null: it belongs to a Django application (a <c>django_migrations</c>
    /// table), it holds organizations the demo seed did not create, or it holds rows without the seed's mark
    /// (<see cref="DemoDataSeeder.SeedMarker"/>: e.g. a partial restore whose organizations happen to be missing).
    /// </summary>
    private static async Task<string?> RefusalAsync(NpgsqlConnection connection, DemoDataGenerator generator,
        CancellationToken cancellationToken)
    {
        var rowsExist = string.Join(" OR ", DemoDataSeeder.WipedTables.Select(table => $"EXISTS (SELECT 1 FROM {table})"));
        await using var command = new NpgsqlCommand($"""
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = 'django_migrations') AS django,
                   (SELECT count(*) FROM organization WHERE id <> ALL(@ids)) AS foreign_organizations,
                   ({rowsExist}) AS has_rows,
                   coalesce(obj_description('organization'::regclass, 'pg_class') = @marker, false) AS marked
            """, connection);
        command.Parameters.AddWithValue("ids", generator.Organizations.Select(o => o.Id).ToArray());
        command.Parameters.AddWithValue("marker", DemoDataSeeder.SeedMarker);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (django, foreign, hasRows, marked) = (reader.GetBoolean(0), reader.GetInt64(1), reader.GetBoolean(2), reader.GetBoolean(3));
        return django ? "the database has a django_migrations table (it belongs to a Django application)"
            : foreign > 0 ? $"the database holds {foreign} organization(s) the demo seed did not create"
            : hasRows && !marked ? "the database holds rows the demo seed did not write (its mark is missing)"
            : null;
    }

    internal sealed record SeedOutputApp(
        [property: JsonPropertyName("id")] Guid Id,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("organization")] Guid Organization);

    internal sealed record SeedOutput(
        [property: JsonPropertyName("organization")] Guid Organization,
        [property: JsonPropertyName("apps")] IReadOnlyList<SeedOutputApp> Apps,
        [property: JsonPropertyName("token")] string Token,
        [property: JsonPropertyName("mode")] string Mode,
        [property: JsonPropertyName("scale")] double Scale,
        [property: JsonPropertyName("anchor")] DateTime Anchor,
        [property: JsonPropertyName("counts")] IReadOnlyDictionary<string, long> Counts,
        [property: JsonPropertyName("seconds")] double Seconds);
}
