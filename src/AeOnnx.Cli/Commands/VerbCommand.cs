using System.CommandLine;

namespace AeOnnx.Cli.Commands;

/// <summary>
/// Base of every verb: a name, a description, examples for <c>--help</c>, and an action that maps
/// <see cref="CliException"/> and unexpected errors to the exit codes of <see cref="ExitCodes"/>.
/// </summary>
internal abstract class VerbCommand : Command
{
    protected VerbCommand(string name, string description, CliConsole console)
        : base(name, description)
    {
        Console = console;
        SetAction(RunSafelyAsync);
    }

    /// <summary>Example command lines shown at the end of <c>--help</c>.</summary>
    public abstract string Examples { get; }

    /// <summary>The exit codes shown at the end of <c>--help</c>: the batch jobs' unless the verb is not one.</summary>
    public virtual string ExitCodeHelp => ExitCodes.HelpText;

    protected CliConsole Console { get; }

    protected abstract Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken);

    private async Task<int> RunSafelyAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(parse, cancellationToken);
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync($"aeonnx {Name}: {e.Message}");
            if (e.ExitCode == ExitCodes.Usage)
            {
                await Console.Error.WriteLineAsync($"Run 'aeonnx {Name} --help' for usage.");
            }

            return e.ExitCode;
        }
        catch (Exception e)
        {
            // One table (FailureTable) says what a failure means and its exit code; the words are the CLI's.
            var kind = FailureTable.Classify(e, cancelled: e is OperationCanceledException && cancellationToken.IsCancellationRequested);
            var message = kind switch
            {
                // Only verbs with --resume keep a journal; the others simply stop.
                FailureKind.Cancelled => Options.Any(o => o.Name == "--resume")
                    ? "interrupted; run the same command with --resume to continue."
                    : "interrupted; nothing was written under a final name for the unfinished work; run the command again.",

                // A data file (.npy, index, CSV, shard file) that does not parse: the user's input, not our failure.
                FailureKind.Usage or FailureKind.Io => e.Message,

                // A model that loads and validates can still fail when run (a huge ConstantOfShape, a bad Reshape).
                FailureKind.ModelFailed => $"the model failed while running: {FailureTable.OneLine(e)}",
                FailureKind.OutOfMemory => "out of memory; try a smaller --batch-size or fewer --threads.",

                // No stack trace for the user: the type and message say what failed; nothing partial was renamed into place.
                _ => $"unexpected error ({e.GetType().Name}): {FailureTable.OneLine(e)}",
            };
            await Console.Error.WriteLineAsync($"aeonnx {Name}: {message}");
            return FailureTable.ExitCode(kind);
        }
    }
}
