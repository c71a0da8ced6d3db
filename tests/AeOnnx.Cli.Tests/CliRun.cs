using System.Diagnostics;

namespace AeOnnx.Cli.Tests;

/// <summary>The result of one <c>aeonnx</c> run: exit code and what it printed.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";

    /// <summary>Runs the CLI entry in-process with captured output (stderr treated as not a terminal).</summary>
    internal static async Task<CliRun> InProcessAsync(params string[] args) => await InProcessAsync(null, args);

    internal static async Task<CliRun> InProcessAsync(int? stopAfterInputs, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var interrupt = new CancellationTokenSource();

        // Interrupts the job right after its K-th input is recorded, exactly as Ctrl+C would (a cancelled token).
        void StopAt(int recorded)
        {
            if (recorded >= stopAfterInputs)
            {
                interrupt.Cancel();
                interrupt.Token.ThrowIfCancellationRequested();
            }
        }

        var console = new CliConsole(output, error, errorIsTerminal: false) { AfterInputRecorded = stopAfterInputs is null ? null : StopAt };
        var code = await Program.RunAsync(OnCpu(args), console, interrupt.Token);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    private static readonly HashSet<string> VerbsWithDevice = ["info", "encode", "decode", "reconstruct", "interpolate", "sample", "arithmetic", "outliers", "serve"];

    /// <summary>
    /// Pins the run to the CPU unless the test chose a device: the tests compare the CLI's outputs with
    /// the core's CPU results, and on a machine with CUDA (make test GPU=1) the default --device auto
    /// would pick the GPU, whose rounding differs. Inserted right after the verb, so a trailing option
    /// that lacks its value stays a usage error.
    /// </summary>
    internal static string[] OnCpu(string[] args) =>
        args.Length > 0 && VerbsWithDevice.Contains(args[0]) && !args.Contains("--device") && !args.Contains("--help") && !args.Contains("-h") && !args.Contains("--")
            ? [args[0], "--device", "cpu", .. args[1..]]
            : args;

    /// <summary>Starts the real process: <c>dotnet AeOnnx.Cli.dll ARGS</c>.</summary>
    internal static Task<CliRun> ProcessAsync(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        ProcessAsync([], environment, args);

    /// <summary>Starts the real process with the variables in <paramref name="unset"/> removed from its environment.</summary>
    internal static async Task<CliRun> ProcessAsync(IEnumerable<string> unset, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "AeOnnx.Cli.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in OnCpu(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("AEONNX_MODEL");
        foreach (var name in unset)
        {
            start.Environment.Remove(name);
        }

        if (environment is not null)
        {
            foreach ((var key, var value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}
