using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AeOnnx.ML.Tests.Support;

/// <summary>An ILogger that keeps every formatted line (thread-safe), for asserting what was logged.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>Every line with its level.</summary>
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = formatter(state, exception);
        Lines.Enqueue(line);
        Entries.Enqueue((logLevel, line));
    }
}
