namespace AeOnnx.Cli;

/// <summary>Thrown by the <see cref="CliConsole.StopAfterInputs"/> test hook to simulate an interruption.</summary>
internal sealed class JobInterruptedException : Exception
{
    public JobInterruptedException()
        : base("job interrupted by the test hook")
    {
    }
}
