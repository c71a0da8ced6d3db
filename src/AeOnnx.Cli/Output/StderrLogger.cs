using Microsoft.Extensions.Logging;

namespace AeOnnx.Cli.Output;

/// <summary>
/// The CLI's logger for the library's diagnostics: one line per event on stderr, prefixed <c>AeOnnx:</c>.
/// A full logging stack (Microsoft.Extensions.Logging.Console) would add start-up time to every
/// command for a handful of lines.
/// </summary>
internal sealed class StderrLogger(TextWriter error, Func<EventId, bool> show) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel) && show(eventId))
        {
            error.WriteLine("AeOnnx: " + formatter(state, exception));
        }
    }
}
