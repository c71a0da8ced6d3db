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
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Only verbs with --resume keep a journal; the others simply stop.
            await Console.Error.WriteLineAsync(Options.Any(o => o.Name == "--resume")
                ? $"aeonnx {Name}: interrupted; run the same command with --resume to continue."
                : $"aeonnx {Name}: interrupted; nothing was written under a final name for the unfinished work; run the command again.");
            return ExitCodes.Interrupted;
        }
        catch (InvalidDataException e)
        {
            // A data file (.npy, index, CSV, shard file) that does not parse: the user's input, not our failure.
            await Console.Error.WriteLineAsync($"aeonnx {Name}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"aeonnx {Name}: {e.Message}");
            return ExitCodes.Fatal;
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
        {
            // A model that loads and validates can still fail when run (a huge ConstantOfShape, a bad Reshape).
            await Console.Error.WriteLineAsync($"aeonnx {Name}: the model failed while running: {OneLine(e.Message)}");
            return ExitCodes.Fatal;
        }
        catch (OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"aeonnx {Name}: out of memory; try a smaller --batch-size or fewer --threads.");
            return ExitCodes.Fatal;
        }
        catch (Exception e)
        {
            // No stack trace for the user: the type and message say what failed; nothing partial was renamed into place.
            await Console.Error.WriteLineAsync($"aeonnx {Name}: unexpected error ({e.GetType().Name}): {OneLine(e.Message)}");
            return ExitCodes.Fatal;
        }
    }

    private static string OneLine(string message)
    {
        string line = message.ReplaceLineEndings(" ").Trim();
        return line.Length > 600 ? line[..600] + "..." : line;
    }
}
