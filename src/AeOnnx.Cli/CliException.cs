namespace AeOnnx.Cli;

/// <summary>An error that ends a command with a message for the user and a specific exit code.</summary>
internal sealed class CliException : Exception
{
    public CliException(int exitCode, string message, Exception? inner = null)
        : base(message, inner) => ExitCode = exitCode;

    public int ExitCode { get; }

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException Fatal(string message, Exception? inner = null) => new(ExitCodes.Fatal, message, inner);
}
