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
    /// Test hook: stop a streaming job (as an interruption would) after this many inputs were committed.
    /// Null in normal runs; set by tests to check that <c>--resume</c> finishes an interrupted job.
    /// </summary>
    public int? StopAfterInputs { get; init; }

    /// <summary>The process console. <c>AEONNX_TEST_STOP_AFTER=K</c> sets the interruption test hook for process-level tests.</summary>
    public static CliConsole System() =>
        new(global::System.Console.Out, global::System.Console.Error, !global::System.Console.IsErrorRedirected)
        {
            StopAfterInputs = int.TryParse(Environment.GetEnvironmentVariable("AEONNX_TEST_STOP_AFTER"), out int k) && k > 0 ? k : null,
        };
}
