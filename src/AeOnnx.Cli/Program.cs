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
        var signals = 0;
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
        var warmUp = WarmUpNativeLibraries(args);
        var exitCode = await RunAsync(args, CliConsole.System(), interrupt.Token);

        // Never exit while a native library is still loading on the other thread (that crashes the
        // process with SIGSEGV, e.g. after a usage error found in a few milliseconds).
        await warmUp;
        return exitCode;
    }

    /// <summary>
    /// Loading ONNX Runtime's and Skia's native libraries takes ~0.1 s of a one-image run's ~0.4 s;
    /// done on another thread while the command line is parsed and the model folder is read and
    /// checked, it overlaps them. Only for verbs that run a model; help and errors stay instant.
    /// </summary>
    private static Task WarmUpNativeLibraries(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-') || args.Contains("--help") || args.Contains("-h") || args.Contains("-?"))
        {
            return Task.CompletedTask;
        }

        return Task.Run(() =>
        {
            try
            {
                _ = AeOnnx.Runtime.OnnxRuntimeEnvironment.Instance;
                _ = SkiaSharp.SKColorSpace.CreateSrgb();
            }
            catch (Exception)
            {
                // Whatever fails here fails again, with the verb's own message, where the verb loads it.
            }
        });
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
