namespace PeerMetrics.Prewarmer;

// An explicit, namespaced entry point: the generated top-level Program would be a public global type that
// clashes with the Api's Program in the test project, which references both.
internal static class Program
{
    private static void Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.AddServiceDefaults();
        builder.AddPrewarmer();

        builder.Build().Run();
    }
}
