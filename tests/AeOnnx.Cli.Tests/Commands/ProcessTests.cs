using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Tests.Commands;

/// <summary>The real process: <c>dotnet AeOnnx.Cli.dll</c>, with its exit codes, default model and streams.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Help_and_usage_errors_from_the_process()
    {
        var help = await CliRun.ProcessAsync(null, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Usage:\n  aeonnx [command] [options]", help.Out, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", help.Out, StringComparison.Ordinal);

        // Several times: a usage error ends the process within milliseconds, while the native
        // libraries may still be loading on the warm-up thread (exiting then crashed it with SIGSEGV,
        // exit 139, about every second run).
        for (var run = 0; run < 6; run++)
        {
            var usage = await CliRun.ProcessAsync(null, "encode", "--output");
            Assert.True(usage.ExitCode == 2, usage.ToString());
            Assert.Contains("--help' for usage", usage.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Encode_finds_the_shipped_model_and_an_interrupted_process_resumes_byte_identical()
    {
        var npy = _temp["p.npy"];
        var whole = await CliRun.ProcessAsync(null, "encode", Repo.Samples, "--output", _temp["whole.npy"]);
        Assert.True(whole.ExitCode == 0, whole.ToString());
        Assert.Contains("encoded 30 of 30 images", whole.Out, StringComparison.Ordinal);
        Assert.Contains("encode: 30/30 100%", whole.Error, StringComparison.Ordinal); // plain progress: stderr is not a terminal

        // Interrupted in-process at an exact input (the shipped binary has no test back door), resumed by the real process.
        var stopped = await CliRun.InProcessAsync(13, "encode", Repo.Samples, "--output", npy, "--model", Repo.Model, "--resume");
        Assert.True(stopped.ExitCode == ExitCodes.Interrupted, stopped.ToString());
        Assert.Contains("--resume to continue", stopped.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(npy));

        var resumed = await CliRun.ProcessAsync(new Dictionary<string, string> { ["AEONNX_MODEL"] = Repo.Model }, "encode", Repo.Samples, "--output", npy, "--resume", "--quiet");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(string.Empty, resumed.Out);
        Assert.Equal(File.ReadAllBytes(_temp["whole.npy"]), File.ReadAllBytes(npy));
        Assert.Equal(File.ReadAllBytes(_temp["whole.index.csv"]), File.ReadAllBytes(_temp["p.index.csv"]));
    }

    [SkippableFact]
    public async Task Ctrl_c_stops_the_process_with_130_and_resume_finishes_byte_identical()
    {
        // A process started with SIGINT ignored (a shell's background job) passes that on to its children,
        // and the runtime keeps it ignored, as programs started in the background should: Ctrl+C cannot be
        // delivered from here then.
        Skip.If(AeOnnx.Tests.Support.Signals.SigintIgnored(), AeOnnx.Tests.Support.Signals.SigintIgnoredReason);

        // 12,000 inputs (40 copies of the 30 samples, each also linked 9 more times), one image per model
        // run on one thread: the job is still running long after the journal's first commit shows, even on
        // a fast machine polled from a loaded one.
        const int copies = 400;
        var folder = _temp["many"];
        Directory.CreateDirectory(folder);
        for (var copy = 0; copy < copies; copy++)
        {
            foreach (var file in Repo.SampleFiles)
            {
                var name = Path.Combine(folder, $"{copy:D3}-{Path.GetFileName(file)}");
                if (copy < 40)
                {
                    File.Copy(file, name);
                }
                else
                {
                    File.CreateSymbolicLink(name, Path.Combine(folder, $"{copy % 40:D3}-{Path.GetFileName(file)}"));
                }
            }
        }

        var npy = _temp["c.npy"];
        var journal = npy + ".aeonnx-journal";
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "AeOnnx.Cli.dll"), "encode", folder, "--output", npy, "--model", Repo.Model, "--batch-size", "1", "--threads", "1" })
        {
            start.ArgumentList.Add(arg);
        }

        using (var process = System.Diagnostics.Process.Start(start)!)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(30) && (!File.Exists(journal) || File.ReadAllLines(journal).Length < 2))
            {
                await Task.Delay(10);
            }

            Assert.False(process.HasExited, $"the job ended (exit {(process.HasExited ? process.ExitCode : 0)}) before it could be interrupted");
            Assert.Equal(0, Kill(process.Id, 2)); // SIGINT, as Ctrl+C sends
            await process.WaitForExitAsync();
            var error = await stderr;
            await stdout;
            Assert.True(process.ExitCode == ExitCodes.Interrupted, $"exit {process.ExitCode}: {error}");
            Assert.Contains("--resume", error, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(npy));
        var done = File.ReadAllLines(journal).Length - 1;
        Assert.InRange(done, 1, (copies * 30) - 1);
        Assert.Equal(done * 16 * 4, new FileInfo(npy + ".aeonnx-part").Length);

        var resumed = await CliRun.InProcessAsync("encode", folder, "--output", npy, "--model", Repo.Model, "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains($"resuming after {done} of {copies * 30}", resumed.Error, StringComparison.Ordinal);
        var whole = await CliRun.InProcessAsync("encode", folder, "--output", _temp["w.npy"], "--model", Repo.Model);
        Assert.Equal(0, whole.ExitCode);
        Assert.Equal(File.ReadAllBytes(_temp["w.npy"]), File.ReadAllBytes(npy));
        Assert.Equal(File.ReadAllBytes(_temp["w.index.csv"]), File.ReadAllBytes(_temp["c.index.csv"]));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [Fact]
    public async Task A_bad_model_folder_from_the_environment_is_fatal()
    {
        var empty = _temp["nomodel"];
        Directory.CreateDirectory(empty);
        var run = await CliRun.ProcessAsync(new Dictionary<string, string> { ["AEONNX_MODEL"] = empty }, "info");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("cannot use model", run.Error, StringComparison.Ordinal);

        var info = await CliRun.ProcessAsync(null, "info", "--model", Repo.Model, "--device", "cpu");
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("latent        16 values", info.Out, StringComparison.Ordinal);
        Assert.Contains("CPUExecutionProvider", info.Out, StringComparison.Ordinal);
        Assert.Contains(File.ReadAllText(Path.Combine(Repo.Model, "manifest.json")).Split("\"sha256\": \"")[1][..64], info.Out, StringComparison.Ordinal);
    }
}
