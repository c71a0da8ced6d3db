using System.Text.Json;
using AeOnnx.Cli.Output;
using AeOnnx.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Tests.Commands;

/// <summary>Every shipped model folder (gray or RGB, AE or VAE) through the main verbs: the CLI knows nothing model-specific.</summary>
public sealed class ShippedModelTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static void AssertSamePixels(Autoencoder core, string input, string written, int width, int height)
    {
        using var actual = Image.Load<Rgb24>(written);
        using var expected = ImageSharpInterop.ToRgb24(core.Images.ToImage(core.Reconstruct(input).Output));
        Assert.Equal((width, height), (actual.Width, actual.Height));
        var a = new Rgb24[width * height];
        var e = new Rgb24[width * height];
        actual.CopyPixelDataTo(a);
        expected.CopyPixelDataTo(e);
        Assert.Equal(e, a);
    }

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var folder in Directory.GetDirectories(Path.Combine(Repo.Root, "models")).Order(StringComparer.Ordinal))
        {
            if (File.Exists(Path.Combine(folder, "manifest.json")))
            {
                data.Add(Path.GetFileName(folder));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Main_verbs_run_on_the_shipped_model(string name)
    {
        var model = Path.Combine(Repo.Root, "models", name);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "manifest.json")));
        var dim = manifest.RootElement.GetProperty("latent").GetProperty("dim").GetInt32();
        var width = manifest.RootElement.GetProperty("input").GetProperty("width").GetInt32();
        var height = manifest.RootElement.GetProperty("input").GetProperty("height").GetInt32();
        var images = Repo.SampleFiles[..6];

        var info = await CliRun.InProcessAsync("info", "--model", model);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains($"{dim} values", info.Out, StringComparison.Ordinal);

        var encode = await CliRun.InProcessAsync(["encode", .. images, "--output", _temp["z.npy"], "--model", model]);
        Assert.True(encode.ExitCode == 0, encode.ToString());
        var z = NpyFile.ReadAll(_temp["z.npy"]);
        Assert.Equal(6, z.GetLength(0));
        Assert.Equal(dim, z.GetLength(1));

        var reconstruct = await CliRun.InProcessAsync(["reconstruct", .. images, "--output", _temp["r"], "--model", model]);
        Assert.True(reconstruct.ExitCode == 0, reconstruct.ToString());
        using (var core = Autoencoder.Load(model, new AutoencoderOptions { Device = Device.Cpu }))
        {
            AssertSamePixels(core, images[3], Path.Combine(_temp["r"], Path.GetFileName(images[3])), width, height);
            var expected = core.Encode(images[3]);
            Assert.Equal(expected.Length, z.GetLength(1));
            Assert.All(Enumerable.Range(0, dim), c => Assert.True(Math.Abs(expected[c] - z[3, c]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[c]))));
        }

        var sample = await CliRun.InProcessAsync("sample", "--count", "4", "--output", _temp["s.png"], "--model", model);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        var interpolate = await CliRun.InProcessAsync("interpolate", images[0], images[5], "--steps", "3", "--output", _temp["i.png"], "--gif", _temp["i.gif"], "--model", model);
        Assert.True(interpolate.ExitCode == 0, interpolate.ToString());
        using var gif = Image.Load(_temp["i.gif"]);
        Assert.Equal(4, gif.Frames.Count); // 3 path images, forth and back
        var grid = Image.Identify(_temp["s.png"]);
        Assert.True(grid.Width >= 4 * width && grid.Height >= height, $"sample grid {grid.Width}x{grid.Height} holds 4 images of {width}x{height}");
    }
}
