using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Tests.Commands;

public sealed class EncodeCommandTests : IClassFixture<ModelFixture>, IDisposable
{
    private readonly Autoencoder _model;
    private readonly TempFolder _temp = new();

    public EncodeCommandTests(ModelFixture fixture) => _model = fixture.Model;

    public void Dispose() => _temp.Dispose();

    private static void AssertLatentsEqual(float[] expected, float[,] actual, int row)
    {
        for (var c = 0; c < expected.Length; c++)
        {
            Assert.True(Math.Abs(expected[c] - actual[row, c]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[c])), $"row {row} value {c}: {actual[row, c]} vs core {expected[c]}");
        }
    }

    private string CopySamples(string name)
    {
        var folder = _temp[name];
        Directory.CreateDirectory(folder);
        foreach (var file in Repo.SampleFiles)
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        return folder;
    }

    [Fact]
    public async Task Encodes_the_samples_to_npy_index_and_csv_equal_to_the_core_latents()
    {
        var npy = _temp["out/latents.npy"];
        var run = await CliRun.InProcessAsync("encode", Repo.Samples, "--output", npy, "--csv", _temp["out/latents.csv"], "--model", Repo.Model, "--batch-size", "7");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());

        var latents = NpyFile.ReadAll(npy);
        var files = Repo.SampleFiles;
        Assert.Equal(files.Length, latents.GetLength(0));
        Assert.Equal(_model.LatentDim, latents.GetLength(1));
        for (var i = 0; i < files.Length; i++)
        {
            AssertLatentsEqual(_model.Encode(files[i]), latents, i);
        }

        (var _, var index) = IndexCsv.Read(_temp["out/latents.index.csv"]);
        Assert.Equal(files.Select(f => Repo.Samples.Replace('\\', '/') + "/" + Path.GetFileName(f)), index.Select(e => e.Path));
        Assert.Equal(Enumerable.Range(0, files.Length).Select(i => (long?)i), index.Select(e => e.Row));
        Assert.All(index, e => Assert.Equal(IndexEntry.Ok, e.Status));

        var csv = File.ReadAllLines(_temp["out/latents.csv"]);
        Assert.Equal("path," + string.Join(',', Enumerable.Range(0, _model.LatentDim).Select(i => "z" + i)), csv[0]);
        var fromCsv = csv[3].Split(',').Skip(1).Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Enumerable.Range(0, _model.LatentDim).Select(c => latents[2, c]), fromCsv);
        Assert.False(File.Exists(npy + ".aeonnx-journal"));
        Assert.False(File.Exists(npy + ".aeonnx-part"));
        Assert.Equal([_temp["out/latents.csv"], _temp["out/latents.index.csv"], npy], Directory.GetFiles(_temp["out"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Bad_files_are_skipped_and_reported_and_every_good_file_is_encoded()
    {
        var folder = CopySamples("imgs");
        var bad = BadFiles.Plant(folder, Repo.SampleFiles[0]);
        var missing = Path.Combine(_temp.Path, "missing.png");
        var npy = _temp["bad.npy"];
        var run = await CliRun.InProcessAsync("encode", folder, missing, "--output", npy, "--model", Repo.Model, "--batch-size", "4");
        Assert.True(run.ExitCode == ExitCodes.SomeInputsSkipped, run.ToString());

        (var _, var index) = IndexCsv.Read(_temp["bad.index.csv"]);
        Assert.Equal(Repo.SampleFiles.Length + bad.Count + 1, index.Count);
        foreach ((var name, var word) in bad)
        {
            var entry = Assert.Single(index, e => e.Path.EndsWith("/" + name, StringComparison.Ordinal));
            Assert.Equal(IndexEntry.Skipped, entry.Status);
            Assert.Null(entry.Row);
            Assert.False(string.IsNullOrWhiteSpace(entry.Reason));
            Assert.Contains(word, entry.Reason, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(name, run.Error, StringComparison.Ordinal);
        }

        var notFound = index[^1];
        Assert.Equal(missing.Replace('\\', '/'), notFound.Path);
        Assert.Contains("not found", notFound.Reason, StringComparison.Ordinal);

        var latents = NpyFile.ReadAll(npy);
        var ok = index.Where(e => e.IsOk).ToList();
        Assert.Equal(Repo.SampleFiles.Length, ok.Count);
        Assert.Equal(ok.Count, latents.GetLength(0));
        for (var i = 0; i < ok.Count; i++)
        {
            Assert.Equal(i, ok[i].Row);
            AssertLatentsEqual(_model.Encode(ok[i].Path), latents, i);
        }
    }

    [Fact]
    public async Task Interrupted_then_resumed_equals_an_uninterrupted_run_byte_for_byte()
    {
        var folder = CopySamples("imgs");
        BadFiles.Plant(folder, Repo.SampleFiles[1]);
        string[] common = ["--model", Repo.Model, "--batch-size", "4", "--csv"];

        var whole = await CliRun.InProcessAsync(["encode", folder, "--output", _temp["whole/l.npy"], .. common, _temp["whole/l.csv"]]);
        Assert.Equal(ExitCodes.SomeInputsSkipped, whole.ExitCode);

        var npy = _temp["resumed/l.npy"];
        string[] args = ["encode", folder, "--output", npy, .. common, _temp["resumed/l.csv"], "--resume"];
        var first = await CliRun.InProcessAsync(stopAfterInputs: 9, args);
        Assert.True(first.ExitCode == ExitCodes.Interrupted, first.ToString());
        Assert.False(File.Exists(npy), "no final file after an interruption");
        Assert.False(File.Exists(_temp["resumed/l.index.csv"]));
        Assert.Equal(10, File.ReadAllLines(npy + ".aeonnx-journal").Length); // job line + 9 inputs

        var second = await CliRun.InProcessAsync(stopAfterInputs: 11, args);
        Assert.Equal(ExitCodes.Interrupted, second.ExitCode);
        Assert.Contains("resuming after 9 of", second.Error, StringComparison.Ordinal);

        var last = await CliRun.InProcessAsync(args);
        Assert.True(last.ExitCode == ExitCodes.SomeInputsSkipped, last.ToString());
        Assert.Contains("resuming after 20 of", last.Error, StringComparison.Ordinal);

        Assert.Equal(File.ReadAllBytes(_temp["whole/l.npy"]), File.ReadAllBytes(npy));
        Assert.Equal(File.ReadAllText(_temp["whole/l.index.csv"]), File.ReadAllText(_temp["resumed/l.index.csv"]));
        Assert.Equal(File.ReadAllText(_temp["whole/l.csv"]), File.ReadAllText(_temp["resumed/l.csv"]));
        Assert.False(File.Exists(npy + ".aeonnx-journal"));
    }

    [Fact]
    public async Task Resume_refuses_a_journal_of_another_job()
    {
        var npy = _temp["r.npy"];
        var first = await CliRun.InProcessAsync(stopAfterInputs: 3, "encode", Repo.Samples, "--output", npy, "--model", Repo.Model);
        Assert.Equal(ExitCodes.Interrupted, first.ExitCode);
        var other = await CliRun.InProcessAsync("encode", Repo.SampleFiles[0], "--output", npy, "--model", Repo.Model, "--resume");
        Assert.True(other.ExitCode == ExitCodes.Usage, other.ToString());
        Assert.Contains("different job", other.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shards_merged_equal_the_unsharded_run_byte_for_byte()
    {
        var folder = CopySamples("imgs");
        BadFiles.Plant(folder, Repo.SampleFiles[2]);
        var whole = await CliRun.InProcessAsync("encode", folder, "--output", _temp["whole.npy"], "--model", Repo.Model);
        Assert.Equal(ExitCodes.SomeInputsSkipped, whole.ExitCode);

        for (var k = 1; k <= 3; k++)
        {
            var part = await CliRun.InProcessAsync("encode", folder, "--shard", $"{k}/3", "--output", _temp[$"part{k}.npy"], "--model", Repo.Model);
            Assert.True(part.ExitCode is ExitCodes.Success or ExitCodes.SomeInputsSkipped, part.ToString());
            Assert.True(File.Exists(_temp[$"part{k}.shard.json"]));
        }

        Assert.Equal(
            File.ReadAllLines(_temp["whole.index.csv"]).Length - 1,
            Enumerable.Range(1, 3).Sum(k => File.ReadAllLines(_temp[$"part{k}.index.csv"]).Length - 1));

        var missing = await CliRun.InProcessAsync("merge", _temp["part1.npy"], _temp["part3.npy"], "--output", _temp["merged.npy"]);
        Assert.True(missing.ExitCode == ExitCodes.Usage, missing.ToString());
        Assert.Contains("2/3", missing.Error, StringComparison.Ordinal);

        var merge = await CliRun.InProcessAsync("merge", _temp["part3.npy"], _temp["part1.npy"], _temp["part2.npy"], "--output", _temp["merged.npy"]);
        Assert.True(merge.ExitCode == ExitCodes.SomeInputsSkipped, merge.ToString());
        Assert.Equal(File.ReadAllBytes(_temp["whole.npy"]), File.ReadAllBytes(_temp["merged.npy"]));
        Assert.Equal(File.ReadAllBytes(_temp["whole.index.csv"]), File.ReadAllBytes(_temp["merged.index.csv"]));
    }

    [Fact]
    public async Task List_files_and_globs_select_inputs_in_the_given_order()
    {
        var files = Repo.SampleFiles;
        var list = _temp.Write("list.txt", $"# two files\n{files[5]}\n{files[1]}\n");
        var run = await CliRun.InProcessAsync("encode", "@" + list, Repo.Samples + "/sneaker-*.png", "--output", _temp["l.npy"], "--model", Repo.Model);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        (var _, var index) = IndexCsv.Read(_temp["l.index.csv"]);
        Assert.Equal(
            new[] { Path.GetFileName(files[5]), Path.GetFileName(files[1]) }.Concat(files.Select(Path.GetFileName).Where(n => n!.StartsWith("sneaker-", StringComparison.Ordinal))),
            index.Select(e => Path.GetFileName(e.Path)));
        AssertLatentsEqual(_model.Encode(files[1]), NpyFile.ReadAll(_temp["l.npy"]), 1);
    }

    [Fact]
    public async Task An_incompatible_model_is_refused_before_any_image_is_read()
    {
        var bad = _temp["model"];
        Directory.CreateDirectory(bad);
        foreach (var file in Directory.GetFiles(Repo.Model))
        {
            File.Copy(file, Path.Combine(bad, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(bad, "manifest.json"), File.ReadAllText(Path.Combine(bad, "manifest.json")).Replace("\"dim\": 16", "\"dim\": 24", StringComparison.Ordinal));
        var npy = _temp["x.npy"];
        var run = await CliRun.InProcessAsync("encode", Repo.Samples, "--output", npy, "--model", bad);
        Assert.True(run.ExitCode == ExitCodes.Fatal, run.ToString());
        Assert.Contains("cannot use model", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("skipped", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(npy + ".aeonnx-journal"), "the job never started");

        var none = await CliRun.InProcessAsync("encode", Repo.Samples, "--output", npy, "--model", _temp["nowhere"]);
        Assert.Equal(ExitCodes.Fatal, none.ExitCode);
    }

    [Fact]
    public async Task Unwritable_output_is_fatal_and_no_inputs_is_a_usage_error()
    {
        var file = _temp.Write("file", "x");
        var unwritable = await CliRun.InProcessAsync("encode", Repo.Samples, "--output", Path.Combine(file, "l.npy"), "--model", Repo.Model);
        Assert.True(unwritable.ExitCode == ExitCodes.Fatal, unwritable.ToString());
        Assert.Contains("cannot write output", unwritable.Error, StringComparison.Ordinal);

        Directory.CreateDirectory(_temp["empty"]);
        var empty = await CliRun.InProcessAsync("encode", _temp["empty"], "--output", _temp["l.npy"], "--model", Repo.Model);
        Assert.True(empty.ExitCode == ExitCodes.Usage, empty.ToString());
        Assert.Contains("no input images found", empty.Error, StringComparison.Ordinal);
    }
}
