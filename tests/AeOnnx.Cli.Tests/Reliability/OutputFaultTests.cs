using System.Diagnostics;
using AeOnnx.Cli.Output;
using Xunit.Abstractions;

namespace AeOnnx.Cli.Tests.Reliability;

/// <summary>
/// Output that cannot be written: a path under a regular file, a path in /proc (both refused even
/// for root, where chmod would not be), and a full disk (a tiny tmpfs, mounted when the tests may):
/// a clear fatal error, exit 1, and never a partial file under a final name.
/// </summary>
[Collection(CliProcessCollection.Name)]
public sealed class OutputFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("encode", "file/sub/x.npy")]
    [InlineData("reconstruct", "file/sub")]
    [InlineData("encode", "/proc/aeonnx-no-such/x.npy")]
    [InlineData("reconstruct", "/proc/aeonnx-no-such")]
    public async Task Unwritable_output_is_a_clear_fatal_error(string verb, string target)
    {
        _temp.Write("file", "a regular file where a folder should be");
        CliFixtures.WriteGoodImages(_temp["in"], 2);
        var path = target.StartsWith('/') ? target : _temp[target];
        var run = await CliRun.InProcessAsync([verb, _temp["in"], "--output", path, .. CliFixtures.ModelArgs]);
        output.WriteLine(run.ToString());
        Assert.Equal(ExitCodes.Fatal, run.ExitCode);
        Assert.Contains("cannot write output", run.Error, StringComparison.Ordinal);
        Assert.Contains(path, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected error", run.Error, StringComparison.Ordinal);
    }

    [TmpfsFact]
    public async Task Full_disk_during_encode_is_fatal_leaves_no_final_output_and_resumes()
    {
        CliFixtures.WriteGoodImages(_temp["in"], 600);
        using var disk = Tmpfs.Mount(_temp["disk"], "24k");
        var npy = Path.Combine(disk.Path, "l.npy");
        var run = await CliRun.InProcessAsync(["encode", _temp["in"], "--output", npy, "--batch-size", "8", .. CliFixtures.ModelArgs]);
        output.WriteLine(run.ToString());
        Assert.Equal(ExitCodes.Fatal, run.ExitCode);
        Assert.Contains("No space left on device", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(npy), "no .npy under its final name");
        Assert.False(File.Exists(Path.Combine(disk.Path, "l.index.csv")), "no index under its final name");

        // Space freed: --resume finishes the job with the same bytes as a run that never failed.
        disk.Grow("4m");
        var resumed = await CliRun.InProcessAsync(["encode", _temp["in"], "--output", npy, "--batch-size", "8", "--resume", .. CliFixtures.ModelArgs]);
        Assert.Equal(0, resumed.ExitCode);
        var reference = await CliRun.InProcessAsync(["encode", _temp["in"], "--output", _temp["ref/l.npy"], "--batch-size", "8", .. CliFixtures.ModelArgs]);
        Assert.Equal(0, reference.ExitCode);
        Assert.Equal(await File.ReadAllBytesAsync(_temp["ref/l.npy"]), await File.ReadAllBytesAsync(npy));
        Assert.Equal(await File.ReadAllTextAsync(_temp["ref/l.index.csv"]), await File.ReadAllTextAsync(Path.Combine(disk.Path, "l.index.csv")));
    }

    [TmpfsFact]
    public async Task Full_disk_during_reconstruct_is_fatal_every_png_written_is_whole_and_resumes()
    {
        CliFixtures.WriteGoodImages(_temp["in"], 200);
        using var disk = Tmpfs.Mount(_temp["disk"], "96k");
        var folder = Path.Combine(disk.Path, "out");
        var run = await CliRun.InProcessAsync(["reconstruct", _temp["in"], "--output", folder, "--batch-size", "8", .. CliFixtures.ModelArgs]);
        output.WriteLine(run.ToString());
        Assert.Equal(ExitCodes.Fatal, run.ExitCode);
        Assert.Contains("No space left on device", run.Error, StringComparison.Ordinal);
        var pngs = Directory.GetFiles(folder, "*.png");
        output.WriteLine($"{pngs.Length} PNGs written before the disk filled");
        Assert.NotEmpty(pngs);
        Assert.All(pngs, png =>
        {
            using var image = SixLabors.ImageSharp.Image.Load(png);
            Assert.Equal(28, image.Width);
        });
        Assert.False(File.Exists(Path.Combine(folder, "index.csv")));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }));

        disk.Grow("4m");
        var resumed = await CliRun.InProcessAsync(["reconstruct", _temp["in"], "--output", folder, "--batch-size", "8", "--resume", .. CliFixtures.ModelArgs]);
        Assert.Equal(0, resumed.ExitCode);
        var reference = await CliRun.InProcessAsync(["reconstruct", _temp["in"], "--output", _temp["ref"], "--batch-size", "8", .. CliFixtures.ModelArgs]);
        Assert.Equal(0, reference.ExitCode);
        foreach (var file in Directory.GetFiles(_temp["ref"]))
        {
            var want = await File.ReadAllBytesAsync(file);
            var got = await File.ReadAllBytesAsync(Path.Combine(folder, Path.GetFileName(file)));
            Assert.True(want.SequenceEqual(got), $"{Path.GetFileName(file)} differs after resuming");
        }
    }

    /// <summary>A tiny tmpfs mounted for one test (root only).</summary>
    internal sealed class Tmpfs : IDisposable
    {
        private Tmpfs(string path) => Path = path;

        public string Path { get; }

        public static bool CanMount { get; } = Probe();

        public static Tmpfs Mount(string path, string size)
        {
            Directory.CreateDirectory(path);
            Assert.Equal(0, Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path));
            return new Tmpfs(path);
        }

        public void Grow(string size) => Assert.Equal(0, Run("mount", "-o", "remount,size=" + size, Path));

        public void Dispose() => Run("umount", "--lazy", Path); // lazy: a handle still open must not leave the mount behind

        private static bool Probe()
        {
            var probe = Directory.CreateTempSubdirectory("aeonnx-tmpfs-probe-").FullName;
            try
            {
                if (Run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", probe) != 0)
                {
                    return false;
                }

                Run("umount", probe);
                return true;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
            finally
            {
                try
                {
                    Directory.Delete(probe);
                }
                catch (IOException)
                {
                }
            }
        }

        private static int Run(string file, params string[] args)
        {
            var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode;
        }
    }
}

/// <summary>A fact skipped, with the reason, where a tmpfs cannot be mounted (not root, or no CAP_SYS_ADMIN).</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!OutputFaultTests.Tmpfs.CanMount)
        {
            Skip = "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN) to fill a disk; /dev/full is not used because the CLI would create its temp files in /dev";
        }
    }
}
