using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Tests.Support;

/// <summary>An ILogger that keeps every event (level, id, formatted message), for asserting what the library logs.</summary>
public sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> _events = new();

    public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Events => [.. _events];

    public IReadOnlyList<string> Messages => [.. _events.Select(e => e.Message)];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _events.Enqueue((logLevel, eventId, formatter(state, exception)));
}
