namespace AeOnnx.Cli;

/// <summary>
/// Where a command writes: results and summaries to <see cref="Out"/>, progress and warnings to
/// <see cref="Error"/>. Tests pass string writers; the process passes the real console.
/// </summary>
internal sealed class CliConsole
{
    public CliConsole(TextWriter output, TextWriter error, bool errorIsTerminal)
    {
        Out = output;
        Error = error;
        ErrorIsTerminal = errorIsTerminal;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>True when progress can redraw one line with '\r' (stderr is an interactive terminal).</summary>
    public bool ErrorIsTerminal { get; }

    /// <summary>
    /// Called after each input a streaming job records, with the number recorded so far in this run. Null in
    /// the shipped command (nothing outside the process can set it); in-process tests use it to interrupt a
    /// job at an exact input, as Ctrl+C would.
    /// </summary>
    internal Action<int>? AfterInputRecorded { get; init; }

    /// <summary>The process console.</summary>
    public static CliConsole System() =>
        new(global::System.Console.Out, global::System.Console.Error, !global::System.Console.IsErrorRedirected);
}
