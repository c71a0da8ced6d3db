using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using AeOnnx.Cli.Commands;

namespace AeOnnx.Cli;

/// <summary>Entry point of <c>aeonnx</c>: parses the command line and invokes the verb. Nothing else lives here.</summary>
public static class Program
{
    // '@list.txt' names an input list (handled by the commands), not a System.CommandLine response file.
    private static readonly ParserConfiguration ParserSettings = new() { ResponseFileTokenReplacer = null };

    public static async Task<int> Main(string[] args)
    {
        // Ctrl+C / SIGTERM cancel the job: it commits what is done, keeps its journal for --resume and exits 130.
        using var interrupt = new CancellationTokenSource();
        int signals = 0;
        void Cancel(PosixSignalContext context)
        {
            if (Interlocked.Increment(ref signals) > 1)
            {
                return; // a second signal: the default action ends the process at once
            }

            context.Cancel = true;
            interrupt.Cancel();

            // A job stuck in a system call cannot see the token; whatever it journalled is safe, so end it after a grace period.
            _ = Task.Delay(TimeSpan.FromSeconds(10)).ContinueWith(
                _ =>
                {
                    Console.Error.WriteLine("aeonnx: still busy 10 s after the interruption; exiting (run again with --resume).");
                    Environment.Exit(ExitCodes.Interrupted);
                },
                TaskScheduler.Default);
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        return await RunAsync(args, CliConsole.System(), interrupt.Token);
    }

    internal static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken)
    {
        var root = AeOnnxRootCommand.Create(console);
        var parse = root.Parse(args, ParserSettings);
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors)
            {
                await console.Error.WriteLineAsync("aeonnx: " + error.Message);
            }

            await console.Error.WriteLineAsync($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // Main handles the signals
        };
        return await parse.InvokeAsync(invocation, cancellationToken);
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        return string.Join(' ', names);
    }
}
