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
            await Console.Error.WriteLineAsync($"aeonnx {Name}: interrupted; run the same command with --resume to continue.");
            return ExitCodes.Interrupted;
        }
        catch (JobInterruptedException)
        {
            await Console.Error.WriteLineAsync($"aeonnx {Name}: stopped by the test hook; run the same command with --resume to continue.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"aeonnx {Name}: {e.Message}");
            return ExitCodes.Fatal;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"aeonnx {Name}: unexpected error: {e}");
            return ExitCodes.Fatal;
        }
    }
}
