using AeOnnx.Cli.Output;
using AeOnnx.Imaging;
using AeOnnx.Tests.Reliability;
using Xunit.Abstractions;

namespace AeOnnx.Cli.Tests.Reliability;

/// <summary>
/// <c>aeonnx encode</c> over a folder with every corpus kind planted among good images: each bad
/// file is skipped and listed in the index with its reason, every good file is encoded, exit 3.
/// </summary>
public sealed class BadInputFolderTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose()
    {
        BadImageCorpus.Remove(_temp.Path);
        _temp.Dispose();
    }

    [Fact]
    public async Task Encode_skips_and_reports_every_bad_kind_and_encodes_every_good_file()
    {
        var folder = _temp["inputs"];
        CliFixtures.WriteGoodImages(folder, 12);
        var planted = BadImageCorpus.Plant(folder);
        var npy = _temp["out/latents.npy"];

        var run = await CliRun.InProcessAsync([.. new[] { "encode", folder, "--output", npy, "--batch-size", "4" }, .. CliFixtures.ModelArgs]);
        output.WriteLine(run.ToString());
        Assert.Equal(ExitCodes.SomeInputsSkipped, run.ExitCode);

        var index = CliFixtures.ReadIndex(_temp["out/latents.index.csv"]).ToDictionary(e => Path.GetFileName(e.Path), StringComparer.Ordinal);
        foreach (var entry in index.Values)
        {
            output.WriteLine($"{entry.Status,-8} {entry.Path}: {entry.Reason}");
        }

        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(IndexEntry.Ok, index[$"{i:00000}.png"].Status);
        }

        foreach (var image in planted)
        {
            var name = Path.GetFileName(image.Path);
            if (!image.Listed)
            {
                Assert.False(index.ContainsKey(name), $"{image.Kind} is a folder, not an input");
                continue;
            }

            var entry = index[name];
            if (image.Expected is { } error)
            {
                Assert.True(entry.Status == IndexEntry.Skipped, $"{image.Kind}: {entry.Status}");
                Assert.StartsWith(Describe(error) + ":", entry.Reason, StringComparison.Ordinal);
            }
            else if (!image.Lenient)
            {
                Assert.True(entry.Status == IndexEntry.Ok, $"{image.Kind}: {entry.Reason}");
            }
        }

        // Every ok row is in the .npy, in index order.
        var rows = index.Values.Count(e => e.IsOk);
        Assert.Equal(128 + (rows * 16 * 4), new FileInfo(npy).Length);
        Assert.Equal(Enumerable.Range(0, rows).Select(r => (long?)r), index.Values.Where(e => e.IsOk).Select(e => e.Row).Order());
    }

    [Fact]
    public async Task Nan_producing_weights_are_reported_per_image_not_written()
    {
        var nanEncoder = CliFixtures.CopyModel(_temp["nan-encoder"], f =>
            File.WriteAllBytes(Path.Combine(f, "encoder.onnx"), OnnxSurgery.FillWithNaN(File.ReadAllBytes(Path.Combine(f, "encoder.onnx")), "encoder.mean.bias")));
        var nanDecoder = CliFixtures.CopyModel(_temp["nan-decoder"], f =>
            File.WriteAllBytes(Path.Combine(f, "decoder.onnx"), OnnxSurgery.FillWithNaN(File.ReadAllBytes(Path.Combine(f, "decoder.onnx")), "decoder.body.7.bias")));
        CliFixtures.WriteGoodImages(_temp["in"], 3);
        string[] common = ["--device", "cpu", "--threads", "1", "--quiet"];

        var encode = await CliRun.InProcessAsync([.. new[] { "encode", _temp["in"], "--output", _temp["enc/l.npy"], "--model", nanEncoder }, .. common]);
        output.WriteLine(encode.ToString());
        Assert.Equal(ExitCodes.SomeInputsSkipped, encode.ExitCode);
        var encoded = CliFixtures.ReadIndex(_temp["enc/l.index.csv"]);
        Assert.All(encoded, e => Assert.Contains("non-finite values (NaN or infinity) in the latent", e.Reason, StringComparison.Ordinal));
        Assert.Equal(128, new FileInfo(_temp["enc/l.npy"]).Length); // header only: [0, 16]

        var reconstruct = await CliRun.InProcessAsync([.. new[] { "reconstruct", _temp["in"], "--output", _temp["rec"], "--model", nanDecoder }, .. common]);
        output.WriteLine(reconstruct.ToString());
        Assert.Equal(ExitCodes.SomeInputsSkipped, reconstruct.ExitCode);
        Assert.All(CliFixtures.ReadIndex(_temp["rec/index.csv"]), e => Assert.Contains("non-finite values", e.Reason, StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_temp["rec"], "*.png"));
    }

    private static string Describe(ImageLoadError error) => error switch
    {
        ImageLoadError.NotFound => "not found",
        ImageLoadError.Unreadable => "unreadable",
        ImageLoadError.UnsupportedFormat => "unsupported format",
        ImageLoadError.Corrupt => "corrupt",
        _ => "too large",
    };
}
