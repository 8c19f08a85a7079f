using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PeerMetrics.AppHost.Tests.Infrastructure;

/// <summary>
/// Sends the AppHost's logs (resource logs included) to the running test's output, or, between tests, to xunit's
/// diagnostic messages. The fixture outlives every test, so the target is swapped rather than injected.
/// </summary>
public sealed class TestOutputLoggerProvider(IMessageSink diagnostics) : ILoggerProvider
{
    private ITestOutputHelper? _output;

    /// <summary>Routes logs to <paramref name="output"/> until the returned scope is disposed.</summary>
    public IDisposable Attach(ITestOutputHelper output)
    {
        _output = output;
        return new Detach(this, output);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    internal void Diagnostic(string message) => diagnostics.OnMessage(new DiagnosticMessage(message));

    private void Write(string line)
    {
        var output = _output;
        try
        {
            if (output is not null)
            {
                output.WriteLine(line);
                return;
            }
        }
        catch (InvalidOperationException)
        {
            // The test finished while a log line was on its way.
        }
        Diagnostic(line);
    }

    private sealed class Detach(TestOutputLoggerProvider provider, ITestOutputHelper output) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref provider._output, null, output);
    }

    private sealed class Logger(TestOutputLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}";
            provider.Write(exception is null ? line : $"{line}{Environment.NewLine}{exception}");
        }
    }
}
