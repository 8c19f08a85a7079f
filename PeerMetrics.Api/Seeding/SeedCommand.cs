namespace PeerMetrics.Api.Seeding;

/// <summary><c>dotnet run --project PeerMetrics.Api -- seed --scale &lt;number&gt;</c> (lands with the generator).</summary>
public static class SeedCommand
{
    public static IHostApplicationBuilder AddDemoData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DemoDataSeeder>();
        return builder;
    }

    public static Task<int> RunAsync(WebApplicationBuilder builder, string[] args)
    {
        Console.Error.WriteLine("seed: not implemented yet");
        return Task.FromResult(1);
    }
}
