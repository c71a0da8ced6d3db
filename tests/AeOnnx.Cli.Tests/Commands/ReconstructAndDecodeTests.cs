using AeOnnx.Cli.Output;
using AeOnnx.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Tests.Commands;

public sealed class ReconstructAndDecodeTests : IClassFixture<ModelFixture>, IDisposable
{
    private readonly Autoencoder _model;
    private readonly TempFolder _temp = new();

    public ReconstructAndDecodeTests(ModelFixture fixture) => _model = fixture.Model;

    public void Dispose() => _temp.Dispose();

    private static byte[] Pixels(Image image)
    {
        using var gray = image.CloneAs<L8>();
        var bytes = new byte[gray.Width * gray.Height];
        gray.CopyPixelDataTo(bytes);
        return bytes;
    }

    [Fact]
    public async Task Reconstruct_writes_the_core_reconstructions_with_errors_and_a_comparison_grid()
    {
        var outDir = _temp["recon"];
        var run = await CliRun.InProcessAsync("reconstruct", Repo.Samples, "--output", outDir, "--comparison", _temp["cmp.png"], "--comparison-count", "12", "--model", Repo.Model);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());

        (var withErrors, var index) = IndexCsv.Read(Path.Combine(outDir, "index.csv"));
        Assert.True(withErrors);
        var files = Repo.SampleFiles;
        Assert.Equal(files.Length, index.Count);
        for (var i = 0; i < files.Length; i++)
        {
            var expected = _model.Reconstruct(files[i]);
            using var written = Image.Load<L8>(Path.Combine(outDir, Path.GetFileName(files[i])));
            using var reference = ImageSharpInterop.ToImageSharp(_model.Images.ToImage(expected.Output));
            Assert.Equal(Pixels(reference), Pixels(written));
            Assert.Equal(expected.Error.Mse, index[i].Mse!.Value, 1e-6);
            Assert.Equal(expected.Error.Psnr, index[i].Psnr!.Value, 1e-3);
        }

        // 12 images: 8 columns, 2 row pairs of 84-pixel cells (28 × 3), plus labels, title and captions.
        var grid = Image.Identify(_temp["cmp.png"]);
        Assert.InRange(grid.Width, (8 * 84) + 80, (8 * 84) + 250);
        Assert.InRange(grid.Height, 4 * 84, (4 * 84) + 120);
    }

    [Fact]
    public async Task Reconstruct_index_names_the_file_each_input_became_when_names_collide()
    {
        // a/x.png, b/x.png, b/X.png (case-insensitive file systems) → x.png, x-2.png, X-3.png: only the index says which is which.
        string[] inputs = [_temp["in/a/x.png"], _temp["in/b/x.png"], _temp["in/b/X.png"]];
        for (var i = 0; i < inputs.Length; i++)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(inputs[i])!);
            File.Copy(Repo.SampleFiles[i], inputs[i]);
        }

        var run = await CliRun.InProcessAsync(["reconstruct", .. inputs, "--output", _temp["out"], "--comparison", _temp["cmp.png"], "--model", Repo.Model]);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var lines = File.ReadAllLines(_temp["out/index.csv"]);
        Assert.Equal("row,path,status,reason,mse,psnr,file", lines[0]);
        var index = IndexCsv.Read(_temp["out/index.csv"]).Entries;
        Assert.Equal(["x.png", "x-2.png", "X-3.png"], index.Select(e => e.File));
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.EndsWith("," + index[i].File, lines[i + 1], StringComparison.Ordinal);
            using var reference = ImageSharpInterop.ToImageSharp(_model.Images.ToImage(_model.Reconstruct(inputs[i]).Output));
            using var written = Image.Load<L8>(Path.Combine(_temp["out"], index[i].File!));
            Assert.Equal(Pixels(reference), Pixels(written));
        }
    }

    [Theory]
    [InlineData("../../outside.png", "is not a name in the output folder")]
    [InlineData("other.png", "the journal names 'other.png' as the output of input 1")]
    public async Task A_journal_naming_another_output_file_is_refused_on_resume(string file, string reason)
    {
        var files = Repo.SampleFiles[..12];
        string[] args = ["reconstruct", .. files, "--output", _temp["b"], "--model", Repo.Model, "--batch-size", "5", "--resume", "--comparison", _temp["cmp.png"]];
        var stopped = await CliRun.InProcessAsync(7, args);
        Assert.Equal(ExitCodes.Interrupted, stopped.ExitCode);
        var journal = _temp["b/.aeonnx-journal"];
        var lines = File.ReadAllLines(journal);
        Assert.Matches(",[^,/]+\\.png$", lines[1]);
        lines[1] = lines[1][..(lines[1].LastIndexOf(',') + 1)] + file;
        File.WriteAllText(journal, string.Join('\n', lines) + "\n");

        var resumed = await CliRun.InProcessAsync(args);
        Assert.True(resumed.ExitCode == ExitCodes.Usage, resumed.ToString());
        Assert.Contains(reason, resumed.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp["cmp.png"]));
        Assert.False(File.Exists(_temp["b/index.csv"]));
    }

    [Theory]
    [InlineData("0,a.png,ok,,0.1,10,../outside.png", "is not a name in the output folder")]
    [InlineData("0,a.png,ok,,0.1,10,", "a done input has no output file")]
    [InlineData(",a.png,skipped,bad,,,a.png", "a skipped input has an output file")]
    [InlineData("0,a.png,ok,,0.1,10", "expected 4 or 7")]
    public void An_index_record_naming_a_file_outside_its_folder_is_refused(string line, string reason)
    {
        var error = Assert.Throws<InvalidDataException>(() => IndexCsv.ParseLine(line));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconstruct_resumes_to_the_same_files()
    {
        var files = Repo.SampleFiles[..12];
        var whole = await CliRun.InProcessAsync(["reconstruct", .. files, "--output", _temp["a"], "--model", Repo.Model, "--batch-size", "5"]);
        Assert.Equal(ExitCodes.Success, whole.ExitCode);
        var stopped = await CliRun.InProcessAsync(7, ["reconstruct", .. files, "--output", _temp["b"], "--model", Repo.Model, "--batch-size", "5", "--resume"]);
        Assert.Equal(ExitCodes.Interrupted, stopped.ExitCode);
        Assert.False(File.Exists(_temp["b/index.csv"]));
        var resumed = await CliRun.InProcessAsync(["reconstruct", .. files, "--output", _temp["b"], "--model", Repo.Model, "--batch-size", "5", "--resume"]);
        Assert.True(resumed.ExitCode == ExitCodes.Success, resumed.ToString());

        var names = Directory.GetFiles(_temp["a"]).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(names, Directory.GetFiles(_temp["b"]).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(13, names.Length);
        foreach (var name in names)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(_temp["a"], name)), File.ReadAllBytes(Path.Combine(_temp["b"], name)));
        }
    }

    [Fact]
    public async Task Decode_resumes_through_the_same_journal_to_the_same_files()
    {
        var files = Repo.SampleFiles[..12];
        var encode = await CliRun.InProcessAsync(["encode", .. files, "--output", _temp["z.npy"], "--csv", _temp["z.csv"], "--model", Repo.Model]);
        Assert.Equal(ExitCodes.Success, encode.ExitCode);

        // A non-finite row 4 (after the header and rows 0-3): skipped before the interruption and after it alike.
        var lines = File.ReadAllLines(_temp["z.csv"]).ToList();
        lines.Insert(5, "broken," + string.Join(',', Enumerable.Repeat("NaN", _model.LatentDim)));
        File.WriteAllText(_temp["z2.csv"], string.Join('\n', lines) + "\n");
        string[] job = ["decode", _temp["z2.csv"], "--model", Repo.Model, "--batch-size", "5"];

        var whole = await CliRun.InProcessAsync([.. job, "--output", _temp["a"]]);
        Assert.True(whole.ExitCode == ExitCodes.SomeInputsSkipped, whole.ToString());
        var stopped = await CliRun.InProcessAsync(7, [.. job, "--output", _temp["b"], "--resume"]);
        Assert.Equal(ExitCodes.Interrupted, stopped.ExitCode);
        Assert.Contains("run the same command with --resume to continue", stopped.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp["b/index.csv"]));
        Assert.True(File.Exists(_temp["b/.aeonnx-journal"]));

        // The journal names its job: other latents into the same folder do not continue it.
        var other = await CliRun.InProcessAsync(["decode", _temp["z.npy"], "--model", Repo.Model, "--output", _temp["b"], "--resume"]);
        Assert.Equal(ExitCodes.Usage, other.ExitCode);
        Assert.Contains("belongs to a different job", other.Error, StringComparison.Ordinal);

        var resumed = await CliRun.InProcessAsync([.. job, "--output", _temp["b"], "--resume"]);
        Assert.True(resumed.ExitCode == ExitCodes.SomeInputsSkipped, resumed.ToString());
        Assert.Contains("decode: resuming after 7 of 13 inputs done.", resumed.Error, StringComparison.Ordinal);
        Assert.Contains("decoded 12 of 13 latents (1 skipped)", resumed.Out, StringComparison.Ordinal);

        var names = Directory.GetFiles(_temp["a"]).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(names, Directory.GetFiles(_temp["b"]).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(13, names.Length);
        Assert.DoesNotContain("000004.png", names);
        Assert.Equal("4,,broken,skipped,the latent has a non-finite value (NaN at z0", File.ReadAllLines(_temp["b/index.csv"])[5][..62]);
        foreach (var name in names)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(_temp["a"], name)), File.ReadAllBytes(Path.Combine(_temp["b"], name)));
        }
    }

    [Fact]
    public async Task Decode_of_encoded_latents_gives_the_reconstructions_from_npy_csv_and_the_command_line()
    {
        var files = Repo.SampleFiles[..5];
        var encode = await CliRun.InProcessAsync(["encode", .. files, "--output", _temp["z.npy"], "--csv", _temp["z.csv"], "--model", Repo.Model]);
        Assert.Equal(ExitCodes.Success, encode.ExitCode);

        var fromNpy = await CliRun.InProcessAsync("decode", _temp["z.npy"], "--output", _temp["npy"], "--model", Repo.Model, "--batch-size", "2");
        Assert.True(fromNpy.ExitCode == ExitCodes.Success, fromNpy.ToString());
        var fromCsv = await CliRun.InProcessAsync("decode", _temp["z.csv"], "--output", _temp["csv"], "--model", Repo.Model);
        Assert.True(fromCsv.ExitCode == ExitCodes.Success, fromCsv.ToString());

        var csvIndex = File.ReadAllLines(Path.Combine(_temp["csv"], "index.csv"));
        Assert.Equal("row,file,source,status,reason", csvIndex[0]);
        Assert.Equal($"2,000002.png,{files[2]},ok,", csvIndex[3]);
        Assert.Equal("4,000004.png,z.npy row 4,ok,", File.ReadAllLines(Path.Combine(_temp["npy"], "index.csv"))[5]);

        var z = NpyFile.ReadAll(_temp["z.npy"]);
        for (var i = 0; i < files.Length; i++)
        {
            var name = $"{i:D6}.png";
            var latent = Enumerable.Range(0, _model.LatentDim).Select(c => z[i, c]).ToArray();
            using var expected = ImageSharpInterop.ToImageSharp(_model.DecodeImage(latent));
            using var decoded = Image.Load<L8>(Path.Combine(_temp["npy"], name));
            Assert.Equal(Pixels(expected), Pixels(decoded));
            Assert.Equal(File.ReadAllBytes(Path.Combine(_temp["npy"], name)), File.ReadAllBytes(Path.Combine(_temp["csv"], name)));
        }

        var vector = string.Join(',', Enumerable.Range(0, _model.LatentDim).Select(c => z[3, c].ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        var one = await CliRun.InProcessAsync("decode", "--latent", vector, "--output", _temp["one"], "--model", Repo.Model);
        Assert.True(one.ExitCode == ExitCodes.Success, one.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(_temp["npy"], "000003.png")), File.ReadAllBytes(Path.Combine(_temp["one"], "000000.png")));

        var wrong = await CliRun.InProcessAsync("decode", "--latent", "0.5,1,2", "--output", _temp["wrong"], "--model", Repo.Model);
        Assert.True(wrong.ExitCode == ExitCodes.Fatal, wrong.ToString());
        Assert.Contains("latent size is 16", wrong.Error, StringComparison.Ordinal);
        var both = await CliRun.InProcessAsync("decode", _temp["z.npy"], "--latent", vector, "--output", _temp["both"], "--model", Repo.Model);
        Assert.Equal(ExitCodes.Usage, both.ExitCode);
    }
}
