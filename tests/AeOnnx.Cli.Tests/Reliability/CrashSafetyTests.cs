using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace AeOnnx.Cli.Tests.Reliability;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliProcessCollection
{
    public const string Name = "aeonnx processes (killed, timed)";
}

/// <summary>
/// SIGKILL (<see cref="Process.Kill(bool)"/>) of the real <c>aeonnx</c> process at random points
/// of <c>encode</c> and <c>reconstruct</c> over a generated folder, then <c>--resume</c>: the final
/// outputs equal an uninterrupted run's byte for byte, and a poller watching the output folder
/// during the runs never sees a partial file under a final name. AEONNX_STRESS=1: more images, more kills.
/// </summary>
[Collection(CliProcessCollection.Name)]
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private static readonly bool Stress = Environment.GetEnvironmentVariable("AEONNX_STRESS") is "1" or "true";
    private static readonly int ImageCount = Stress ? 4000 : 1500;
    private static readonly int Kills = Stress ? 10 : 2;
    private static readonly byte[] PngEnd = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
    private readonly TempFolder _temp = new();
    private readonly Random _random = new(Environment.TickCount);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Encode_killed_at_random_points_then_resumed_equals_an_uninterrupted_run()
    {
        var inputs = _temp["in"];
        CliFixtures.WriteGoodImages(inputs, ImageCount);
        string[] job = ["encode", inputs, "--batch-size", "4"];

        var reference = await CliRun.InProcessAsync([.. job, "--output", _temp["ref/l.npy"], .. CliFixtures.ModelArgs]);
        Assert.Equal(0, reference.ExitCode);

        var npy = _temp["out/l.npy"];
        await KillAndResumeAsync([.. job, "--output", npy], npy + ".aeonnx-journal", _temp["out"], CheckEncodeOutputs);

        Assert.Equal(await File.ReadAllBytesAsync(_temp["ref/l.npy"]), await File.ReadAllBytesAsync(npy));
        Assert.Equal(await File.ReadAllTextAsync(_temp["ref/l.index.csv"]), await File.ReadAllTextAsync(_temp["out/l.index.csv"]));
        Assert.Equal(["l.index.csv", "l.npy"], Directory.GetFiles(_temp["out"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Reconstruct_killed_at_random_points_then_resumed_equals_an_uninterrupted_run()
    {
        var inputs = _temp["in"];
        CliFixtures.WriteGoodImages(inputs, ImageCount / 3);
        string[] job = ["reconstruct", inputs, "--batch-size", "4"];

        var reference = await CliRun.InProcessAsync([.. job, "--output", _temp["ref"], .. CliFixtures.ModelArgs]);
        Assert.Equal(0, reference.ExitCode);

        var folder = _temp["out"];
        await KillAndResumeAsync([.. job, "--output", folder], Path.Combine(folder, ".aeonnx-journal"), folder, CheckReconstructOutputs);

        var expected = Directory.GetFiles(_temp["ref"]).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in expected)
        {
            var want = await File.ReadAllBytesAsync(Path.Combine(_temp["ref"], name!));
            var got = await File.ReadAllBytesAsync(Path.Combine(folder, name!));
            Assert.True(want.SequenceEqual(got), $"{name} differs from the uninterrupted run");
        }
    }

    private async Task KillAndResumeAsync(string[] job, string journal, string outputs, Func<string, string?> check)
    {
        string[] args = [.. job, "--resume", .. CliFixtures.ModelArgs];
        var problems = new List<string>();
        var killed = 0;
        for (var k = 0; k < Kills; k++)
        {
            using var process = Start(args);
            var doneBefore = Lines(journal);

            // Kill points follow the job's progress, not the clock, so a faster build still gets
            // killed mid-job: the first run anywhere from start-up (target 0) to its first commits,
            // later ones once the job has made more progress.
            var target = doneBefore + _random.Next(k == 0 ? 0 : 1, 200);
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && Lines(journal) < target && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (check(outputs) is { } problem)
                {
                    problems.Add(problem);
                }

                await Task.Delay(5);
            }

            await Task.Delay(_random.Next(0, 20));
            if (process.HasExited)
            {
                output.WriteLine($"run {k}: finished by itself (exit {process.ExitCode}) before the kill");
                break;
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            killed++;
            output.WriteLine($"run {k}: SIGKILL after {clock.ElapsedMilliseconds} ms, journal {doneBefore} -> {Lines(journal)} lines");
            if (check(outputs) is { } after)
            {
                problems.Add(after);
            }
        }

        using var final = Start(args);
        while (!final.HasExited)
        {
            if (check(outputs) is { } problem)
            {
                problems.Add(problem);
            }

            await Task.Delay(5);
        }

        await final.WaitForExitAsync();
        output.WriteLine($"{killed} kills; final --resume run exit {final.ExitCode}");
        Assert.Equal(0, final.ExitCode);
        Assert.True(killed > 0, "no run was killed: the job finished before the first kill");
        Assert.Empty(problems.Distinct());
        Assert.False(File.Exists(journal), "the journal is removed once the job completes");
    }

    /// <summary>A final-named .npy must hold exactly the rows its header declares; the index must be whole lines.</summary>
    private static string? CheckEncodeOutputs(string folder)
    {
        try
        {
            var npy = Path.Combine(folder, "l.npy");
            if (File.Exists(npy))
            {
                var bytes = File.ReadAllBytes(npy);
                var header = Encoding.ASCII.GetString(bytes, 10, Math.Min(118, bytes.Length - 10));
                var rows = long.Parse(header.Split("'shape': (")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
                if (bytes.Length != 128 + (rows * 16 * 4))
                {
                    return $"l.npy has {bytes.Length} bytes for {rows} rows";
                }
            }

            var index = Path.Combine(folder, "l.index.csv");
            if (File.Exists(index) && File.ReadAllText(index) is var text && (!text.StartsWith("row,path,status,reason", StringComparison.Ordinal) || !text.EndsWith('\n')))
            {
                return "l.index.csv is partial";
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or IndexOutOfRangeException or FormatException or ArgumentException)
        {
            return null; // renamed or replaced while reading: the next poll sees the new file
        }
    }

    /// <summary>Every final-named PNG must be a whole PNG (ends with the IEND chunk).</summary>
    private static string? CheckReconstructOutputs(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return null;
        }

        foreach (var png in Directory.EnumerateFiles(folder, "*.png"))
        {
            try
            {
                var bytes = File.ReadAllBytes(png);
                if (bytes.Length < 8 || !bytes.AsSpan(bytes.Length - 8).SequenceEqual(PngEnd))
                {
                    return $"{Path.GetFileName(png)} is partial ({bytes.Length} bytes)";
                }
            }
            catch (IOException)
            {
            }
        }

        return null;
    }

    private static int Lines(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var count = 0;
            int b;
            while ((b = stream.ReadByte()) >= 0)
            {
                count += b == '\n' ? 1 : 0;
            }

            return Math.Max(0, count - 1);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static Process Start(string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AeOnnx.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("AEONNX_MODEL");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
