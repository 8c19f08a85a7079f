using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;

namespace PeerMetrics.AppHost.Tests.Infrastructure;

/// <summary>
/// One console line of a resource instance, as the dashboard shows it (colours and indentation removed, its
/// timestamp apart). The console logger writes an entry as a <c>level: category</c> line and indented message lines.
/// </summary>
public sealed record ResourceLogLine(string Instance, DateTime Timestamp, string Text, bool IsStandardError, bool IsContinuation)
{
    /// <summary>
    /// A line the console logger wrote at Warning or above (its <c>warn:</c>, <c>fail:</c> or <c>crit:</c> prefix),
    /// or anything on standard error.
    /// </summary>
    public bool IsWarningOrAbove => IsStandardError || ResourceLogs.WarningOrAbove().IsMatch(Text);

    public override string ToString() => $"{Instance}{(IsStandardError ? " (stderr)" : "")}: {Text}";
}

/// <summary>Reads the console logs of a resource's instances (every replica) from the AppHost.</summary>
public static partial class ResourceLogs
{
    /// <summary>
    /// Every line the instances of <paramref name="resourceName"/> have written so far, instance by instance, in
    /// the order they were written (the AppHost hands over the process's output and its own lines separately).
    /// </summary>
    public static async Task<IReadOnlyList<ResourceLogLine>> ReadAsync(DistributedApplication app, string resourceName)
    {
        var loggers = app.Services.GetRequiredService<ResourceLoggerService>();
        var lines = new List<ResourceLogLine>();
        foreach (var instance in await InstancesAsync(app, resourceName))
        {
            var instanceLines = new List<ResourceLogLine>();
            await foreach (var batch in loggers.GetAllAsync(instance))
            {
                instanceLines.AddRange(batch.Select(line => Parse(instance, line)));
            }
            lines.AddRange(instanceLines.OrderBy(line => line.Timestamp));
        }
        return lines;
    }

    /// <summary>The entries at Warning or above, each as one text: its level line and its message lines.</summary>
    public static IReadOnlyList<string> WarningsOrAbove(IEnumerable<ResourceLogLine> lines)
    {
        var entries = new List<(bool Warning, string Text)>();
        foreach (var line in lines)
        {
            if (line.IsContinuation && entries.Count > 0 && !line.IsStandardError)
            {
                entries[^1] = (entries[^1].Warning, $"{entries[^1].Text} {line.Text}");
            }
            else
            {
                entries.Add((line.IsWarningOrAbove, line.ToString()));
            }
        }
        return [.. entries.Where(entry => entry.Warning).Select(entry => entry.Text)];
    }

    /// <summary>Waits for a line matching <paramref name="pattern"/> from any instance of the resource.</summary>
    public static async Task<Match> WaitForAsync(DistributedApplication app, string resourceName, Regex pattern, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var watches = (await InstancesAsync(app, resourceName)).Select(instance => WatchForAsync(app, instance, pattern, cancellation.Token)).ToList();
        try
        {
            return await await Task.WhenAny(watches);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{resourceName} logged nothing matching /{pattern}/ within {timeout.TotalSeconds:F0} s");
        }
        finally
        {
            await cancellation.CancelAsync();
        }
    }

    /// <summary>
    /// Waits until every instance of the resource has logged a line matching <paramref name="pattern"/>. Logs reach
    /// the AppHost a little after the process wrote them, so a test waits for the last line it needs.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, Match>> WaitForEachAsync(DistributedApplication app, string resourceName,
        Regex pattern, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var instances = await InstancesAsync(app, resourceName);
        try
        {
            var matches = await Task.WhenAll(instances.Select(instance => WatchForAsync(app, instance, pattern, cancellation.Token)));
            return instances.Zip(matches).ToDictionary(pair => pair.First, pair => pair.Second);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"not every instance of {resourceName} logged /{pattern}/ within {timeout.TotalSeconds:F0} s");
        }
    }

    /// <summary>Waits until each Api instance has logged that it listens: every start-up line is in by then.</summary>
    public static Task<IReadOnlyDictionary<string, Match>> WaitForApiListeningAsync(DistributedApplication app) =>
        WaitForEachAsync(app, "api", ListeningOn(), TimeSpan.FromSeconds(30));

    private static async Task<Match> WatchForAsync(DistributedApplication app, string instance, Regex pattern, CancellationToken cancellationToken)
    {
        var loggers = app.Services.GetRequiredService<ResourceLoggerService>();
        await foreach (var batch in loggers.WatchAsync(instance).WithCancellation(cancellationToken))
        {
            if (batch.Select(line => pattern.Match(Parse(instance, line).Text)).FirstOrDefault(m => m.Success) is { } match)
            {
                return match;
            }
        }
        throw new OperationCanceledException();
    }

    /// <summary>The instance ids of a resource (one per replica), under which its logs and states are kept.</summary>
    public static async Task<IReadOnlyList<string>> InstancesAsync(DistributedApplication app, string resourceName)
    {
        var resource = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        var replicas = resource.Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1;
        var instances = new SortedSet<string>(StringComparer.Ordinal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // The watch starts with the current state of every instance.
        await foreach (var resourceEvent in app.ResourceNotifications.WatchAsync(timeout.Token))
        {
            if (resourceEvent.Resource == resource && instances.Add(resourceEvent.ResourceId) && instances.Count == replicas)
            {
                break;
            }
        }
        return [.. instances];
    }

    private static ResourceLogLine Parse(string instance, LogLine line)
    {
        var content = Ansi().Replace(line.Content, "");
        var stamp = Timestamp().Match(content);
        var timestamp = stamp.Success
            ? DateTime.Parse(stamp.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)
            : DateTime.MinValue;
        var text = content[stamp.Length..];
        return new ResourceLogLine(instance, timestamp, text.TrimStart(), line.IsErrorMessage, text.Length > 0 && char.IsWhiteSpace(text[0]));
    }

    /// <summary>Kestrel's start-up line; group 1 is the address.</summary>
    [GeneratedRegex(@"^Now listening on: (http://\S+)")]
    public static partial Regex ListeningOn();

    [GeneratedRegex(@"^(warn|fail|crit): ")]
    internal static partial Regex WarningOrAbove();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z) ")]
    private static partial Regex Timestamp();
}
