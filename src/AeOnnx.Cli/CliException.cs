namespace AeOnnx.Cli;

/// <summary>An error that ends a command with a message for the user and a specific exit code.</summary>
internal sealed class CliException : Exception
{
    public CliException(int exitCode, string message, Exception? inner = null)
        : base(message, inner) => ExitCode = exitCode;

    public int ExitCode { get; }

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException Fatal(string message, Exception? inner = null) => new(ExitCodes.Fatal, message, inner);

    /// <summary>
    /// What a refusal to load a model folder (<see cref="FailureTable.IsLoadRefusal"/>) tells the user: a batch
    /// size over the model's budget is a usage error; anything else about the folder or device is fatal.
    /// </summary>
    public static CliException FromModelLoad(Exception e, string folder, int batchSize) => e switch
    {
        DeviceUnavailableException device => Fatal($"device {device.Device} unavailable: {device.Reason}", e),
        ArgumentOutOfRangeException { ActualValue: int value } when value == batchSize =>
            Usage($"--batch-size {batchSize} is too large for model '{folder}': {FailureTable.OneLine(e)}"),
        _ => Fatal($"cannot use model '{folder}': {e.Message}", e),
    };
}
