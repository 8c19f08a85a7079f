namespace PeerMetrics.Api.Data.Migrations;

/// <summary>Reads the SQL of a migration, embedded next to it so the DDL stays reviewable as plain SQL.</summary>
internal static class SqlScript
{
    public static string Read(string fileName)
    {
        var assembly = typeof(SqlScript).Assembly;
        var resource = $"{typeof(SqlScript).Namespace}.{fileName}";
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded migration script '{resource}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
