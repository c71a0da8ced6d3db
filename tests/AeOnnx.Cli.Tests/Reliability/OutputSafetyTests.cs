using System.Text.Json.Nodes;
using AeOnnx.Cli.Jobs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;

namespace AeOnnx.Cli.Tests.Reliability;

/// <summary>
/// Issue 12, data loss and hangs: outputs never over inputs or each other, one job per output, job identity
/// covering preprocessing, merge checked before writing, link cycles, bounded options, linear-time globs.
/// </summary>
public sealed class OutputSafetyTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Task<CliRun> Run(params string[] args) => CliRun.InProcessAsync([.. args, .. CliFixtures.ModelArgs]);

    private static string[] WithModel(string model) => ["--model", model, "--device", "cpu", "--threads", "1", "--quiet"];

    private static Dictionary<string, byte[]> Snapshot(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

    private static void AssertUnchanged(Dictionary<string, byte[]> before, string folder)
    {
        var after = Snapshot(folder);
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        foreach ((var file, var bytes) in before)
        {
            Assert.Equal(bytes, after[file]);
        }
    }

    private static void AssertUsage(CliRun run, string expected)
    {
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconstruct_into_its_own_input_folder_is_refused_and_the_inputs_are_untouched()
    {
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 3);
        var before = Snapshot(d);

        AssertUsage(await Run("reconstruct", d, "--output", d), "contains the input");
        AssertUsage(await Run("reconstruct", d + "/00001.png", "--output", _temp.Path), "contains the input");

        // The same folder under another name (a symbolic link, a '..' detour) is the same folder.
        Directory.CreateSymbolicLink(_temp["alias"], d);
        AssertUsage(await Run("reconstruct", d, "--output", _temp["alias"]), "contains the input");
        AssertUsage(await Run("reconstruct", _temp["alias"], "--output", _temp["d/../d"]), "contains the input");
        AssertUnchanged(before, d);
    }

    [Fact]
    public async Task An_output_equal_to_an_input_or_to_another_output_is_refused_before_any_work()
    {
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 3);
        var before = Snapshot(d);
        var input = Path.Combine(d, "00000.png");

        AssertUsage(await Run("encode", d, "--output", _temp["z.npy"], "--csv", _temp["z.npy"]), "is the same path as --output");
        AssertUsage(await Run("encode", d, "--output", _temp["z.npy"], "--csv", _temp["z.index.csv"]), "is the same path as --csv");
        AssertUsage(await Run("encode", d, "--output", _temp["z.npy"], "--csv", input), "is the input");
        AssertUsage(await Run("outliers", d, "--output", _temp["o.csv"], "--grid", input), "is the input");
        AssertUsage(await Run("outliers", d, "--output", _temp["o.csv"], "--grid", _temp["o.csv"]), "is the same path");
        AssertUsage(await Run("reconstruct", d, "--output", _temp["r"], "--comparison", _temp["r/00000.png"]), "inside the output folder");
        AssertUsage(await Run("sample", "--output", _temp["s.png"], "--latents", _temp["s.png"]), "is the same path");
        AssertUsage(await Run("interpolate", input, Path.Combine(d, "00001.png"), "--output", input), "is the input");
        Assert.Empty(Directory.GetFiles(_temp.Path)); // nothing written next to the inputs either
        AssertUnchanged(before, d);

        var encoded = await Run("encode", d, "--output", _temp["z/z.npy"]);
        Assert.Equal(ExitCodes.Success, encoded.ExitCode);
        AssertUsage(await Run("decode", _temp["z/z.npy"], "--output", _temp["z"]), "contains the input");
    }

    [Fact]
    public async Task An_output_folder_inside_the_input_folder_is_left_out_of_the_listing()
    {
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 4);
        for (var run = 0; run < 2; run++)
        {
            var result = await Run(["reconstruct", d, "--output", _temp["d/recon"], .. (run == 1 ? ["--resume"] : Array.Empty<string>())]);
            Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
            var index = CliFixtures.ReadIndex(_temp["d/recon/index.csv"]);
            Assert.Equal(4, index.Count); // never its own outputs
            Assert.All(index, e => Assert.DoesNotContain("recon", e.Path, StringComparison.Ordinal));
        }

        // A folder of the user's own images inside the inputs is not an output folder to skip and fill.
        CliFixtures.WriteGoodImages(_temp["d/mine"], 2, seed: 5);
        var before = Snapshot(_temp["d/mine"]);
        var refused = await Run("reconstruct", d, "--output", _temp["d/mine"]);
        AssertUsage(refused, "holds files of its own");
        AssertUnchanged(before, _temp["d/mine"]);
    }

    [Fact]
    public async Task A_second_job_on_a_locked_output_is_refused_and_the_first_jobs_files_are_untouched()
    {
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 3);
        var paths = new LatentOutputPaths(_temp["out/z.npy"]);
        Directory.CreateDirectory(_temp["out"]);
        File.WriteAllText(paths.Journal, "a running job's journal\n");

        // A running job holds the lock: the same lock another aeonnx process would hold.
        using (var held = JobLock.Acquire(paths.Lock, paths.Npy))
        {
            var second = await Run("encode", d, "--output", paths.Npy);
            Assert.True(second.ExitCode == ExitCodes.Fatal, second.ToString());
            Assert.Contains("another aeonnx job is writing", second.Error, StringComparison.Ordinal);
            Assert.Equal("a running job's journal\n", File.ReadAllText(paths.Journal));
            Assert.False(File.Exists(paths.Npy));

            using (var folderHeld = JobLock.Acquire(_temp["r/.aeonnx-lock"], _temp["r"]))
            {
                var reconstruct = await Run("reconstruct", d, "--output", _temp["r"]);
                Assert.Equal(ExitCodes.Fatal, reconstruct.ExitCode);
                Assert.Contains("another aeonnx job", reconstruct.Error, StringComparison.Ordinal);
            }
        }

        var after = await Run("encode", d, "--output", paths.Npy);
        Assert.True(after.ExitCode == ExitCodes.Success, after.ToString());
        Assert.False(File.Exists(paths.Lock), "the lock is removed when the job ends");
    }

    [Fact]
    public async Task Resume_and_merge_refuse_a_model_that_differs_only_in_preprocessing()
    {
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 6);
        var other = CliFixtures.CopyModel(_temp["model-std"]);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(other, "manifest.json")))!.AsObject();
        manifest["input"]!["std"] = new JsonArray(0.5);
        File.WriteAllText(Path.Combine(other, "manifest.json"), manifest.ToJsonString());

        var npy = _temp["z.npy"];
        var first = await CliRun.InProcessAsync(2, ["encode", d, "--output", npy, .. CliFixtures.ModelArgs]);
        Assert.Equal(ExitCodes.Interrupted, first.ExitCode);
        var resumed = await CliRun.InProcessAsync(["encode", d, "--output", npy, "--resume", .. WithModel(other)]);
        Assert.True(resumed.ExitCode == ExitCodes.Usage, resumed.ToString());
        Assert.Contains("different job", resumed.Error, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Success, (await Run("encode", d, "--shard", "1/2", "--output", _temp["p1.npy"])).ExitCode);
        Assert.Equal(ExitCodes.Success, (await CliRun.InProcessAsync(["encode", d, "--shard", "2/2", "--output", _temp["p2.npy"], .. WithModel(other)])).ExitCode);
        var merged = await CliRun.InProcessAsync("merge", _temp["p1.npy"], _temp["p2.npy"], "--output", _temp["all.npy"]);
        Assert.True(merged.ExitCode == ExitCodes.Usage, merged.ToString());
        Assert.Contains("another job", merged.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp["all.npy"]));
    }

    [Fact]
    public async Task Merge_checks_every_part_before_writing()
    {
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 6);
        for (var k = 1; k <= 2; k++)
        {
            Assert.Equal(ExitCodes.Success, (await Run("encode", d, "--shard", $"{k}/2", "--output", _temp[$"p{k}.npy"])).ExitCode);
        }

        var twice = await CliRun.InProcessAsync("merge", _temp["p1.npy"], _temp["p1.npy"], "--output", _temp["all.npy"]);
        AssertUsage(twice, "is given twice");
        Assert.DoesNotContain("missing", twice.Error, StringComparison.Ordinal);

        AssertUsage(await CliRun.InProcessAsync("merge", _temp["p1.npy"], _temp["p2.npy"], "--output", _temp["p1.npy"]), "is the input");

        // Part 2's .npy loses a row: its header (and the merged one) would disagree with the index.
        var rows = NpyFile.ReadAll(_temp["p2.npy"]);
        using (var stream = File.Create(_temp["p2.npy"]))
        {
            NpyWriter.Write(stream, rows.Cast<float>().Take(2 * rows.GetLength(1)).ToArray(), rows.GetLength(1));
        }

        AssertUsage(await CliRun.InProcessAsync("merge", _temp["p1.npy"], _temp["p2.npy"], "--output", _temp["all.npy"]), "has 2 rows, its index");
        Assert.False(File.Exists(_temp["all.npy"]));
        Assert.False(File.Exists(_temp["all.index.csv"]));
    }

    [Fact]
    public async Task Shard_counts_are_bounded_and_merge_messages_stay_short()
    {
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 3);
        var huge = await Run("encode", d, "--shard", "1/2000000000", "--output", _temp["p.npy"]);
        Assert.Equal(ExitCodes.Usage, huge.ExitCode);
        Assert.Contains("N <= 10000", huge.Error, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Success, (await Run("encode", d, "--shard", "1/10000", "--output", _temp["p1.npy"])).ExitCode);
        var merged = await CliRun.InProcessAsync("merge", _temp["p1.npy"], "--output", _temp["all.npy"]);
        Assert.Equal(ExitCodes.Usage, merged.ExitCode);
        Assert.Contains("9999 of 10000 shards missing", merged.Error, StringComparison.Ordinal);
        Assert.True(merged.Error.Length < 400, merged.Error);
    }

    [Fact]
    public async Task Directory_link_cycles_are_not_followed_so_no_image_repeats_and_the_listing_ends()
    {
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(Path.Combine(d, "a"), 2);
        CliFixtures.WriteGoodImages(Path.Combine(d, "b"), 1, seed: 7);
        Directory.CreateSymbolicLink(Path.Combine(d, "a", "up"), "..");
        Directory.CreateSymbolicLink(Path.Combine(d, "b", "loop"), Path.Combine(d, "b"));
        File.CreateSymbolicLink(Path.Combine(d, "b", "file-link.png"), Path.Combine(d, "a", "00000.png"));

        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(120)); // turns a hang into a failure
        var run = await Run("encode", d, "--output", _temp["z.npy"]).WaitAsync(hang.Token);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal(
            ["d/a/00000.png", "d/a/00001.png", "d/b/00000.png", "d/b/file-link.png"],
            CliFixtures.ReadIndex(_temp["z.index.csv"]).Select(e => e.Path[(e.Path.IndexOf("/d/", StringComparison.Ordinal) + 1)..]));
    }

    [Theory]
    [InlineData("--batch-size", "2000000000", "--batch-size must be between 1 and 268435456")]
    [InlineData("--batch-size", "0", "--batch-size must be between 1 and 268435456")]
    [InlineData("--threads", "30000", "--threads must be between 0 (all cores) and")]
    [InlineData("--threads", "2147483647", "--threads must be between 0 (all cores) and")]
    public async Task Batch_size_and_threads_are_bounded_with_a_usage_error(string option, string value, string message)
    {
        CliFixtures.WriteGoodImages(_temp["d"], 1);
        foreach (var verb in new[] { new[] { "encode", _temp["d"], "--output", _temp["z.npy"] }, ["decode", "--latent", "0", "--output", _temp["o"]] })
        {
            var run = await CliRun.InProcessAsync([.. verb, "--model", Repo.Model, option, value]);
            Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
            Assert.Contains(message, run.Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(1 * 28 * 28, 16, 342_392)] // 2^30 bytes / (784 floats × 4 bytes)
    [InlineData(3 * 512 * 512, 64, 341)]
    [InlineData(3 * 20000 * 20000, 64, 1)] // never below one image
    public void The_batch_size_bound_keeps_one_batch_under_a_gibibyte_and_2_to_the_31_elements(int pixels, int dim, long expected)
    {
        long largest = RunLimits.LargestBatch(Math.Max(pixels, dim));
        Assert.Equal(expected, largest);
        Assert.True(largest == 1 || largest * pixels < int.MaxValue);
    }

    [Fact]
    public async Task Globs_match_in_linear_time_and_a_bad_pattern_is_a_usage_error()
    {
        var d = _temp["d"];
        Directory.CreateDirectory(d);
        var name = new string('a', 60) + ".png";
        File.Copy(Repo.SampleFiles[0], Path.Combine(d, name));
        var stars = string.Concat(Enumerable.Repeat("*a", 24)) + "*b";

        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // the regex version ran for minutes
        var none = await Run("encode", d, "--pattern", stars, "--output", _temp["z.npy"]).WaitAsync(hang.Token);
        AssertUsage(none, "no input images found");
        var some = await Run("encode", d, "--pattern", string.Concat(Enumerable.Repeat("*a", 24)) + "*.png", "--output", _temp["z.npy"]).WaitAsync(hang.Token);
        Assert.True(some.ExitCode == ExitCodes.Success, some.ToString());

        AssertUsage(await Run("encode", d, "--pattern", "[z-a].png", "--output", _temp["z.npy"]), "is not supported");
        AssertUsage(await Run("encode", d + "/[z-a]*.png", "--output", _temp["z.npy"]), "is not supported");
        AssertUsage(await Run("encode", d, "--pattern", "../*.png", "--output", _temp["z.npy"]), "relative to the folder");
    }
}
