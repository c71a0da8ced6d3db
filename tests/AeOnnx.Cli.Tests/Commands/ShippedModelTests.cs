using System.Text.Json;
using AeOnnx.Cli.Output;
using SixLabors.ImageSharp;

namespace AeOnnx.Cli.Tests.Commands;

/// <summary>Every shipped model folder (gray or RGB, AE or VAE) through the main verbs: the CLI knows nothing model-specific.</summary>
public sealed class ShippedModelTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (string folder in Directory.GetDirectories(Path.Combine(Repo.Root, "models")).Order(StringComparer.Ordinal))
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
        string model = Path.Combine(Repo.Root, "models", name);
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "manifest.json")));
        int dim = manifest.RootElement.GetProperty("latent").GetProperty("dim").GetInt32();
        int width = manifest.RootElement.GetProperty("input").GetProperty("width").GetInt32();
        int height = manifest.RootElement.GetProperty("input").GetProperty("height").GetInt32();
        string[] images = Repo.SampleFiles[..6];

        CliRun info = await CliRun.InProcessAsync("info", "--model", model);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains($"{dim} values", info.Out, StringComparison.Ordinal);

        CliRun encode = await CliRun.InProcessAsync(["encode", .. images, "--output", temp["z.npy"], "--model", model]);
        Assert.True(encode.ExitCode == 0, encode.ToString());
        float[,] z = NpyFile.ReadAll(temp["z.npy"]);
        Assert.Equal(6, z.GetLength(0));
        Assert.Equal(dim, z.GetLength(1));

        CliRun reconstruct = await CliRun.InProcessAsync(["reconstruct", .. images, "--output", temp["r"], "--model", model]);
        Assert.True(reconstruct.ExitCode == 0, reconstruct.ToString());
        IImageInfo png = Image.Identify(Path.Combine(temp["r"], Path.GetFileName(images[0])));
        Assert.Equal((width, height), (png.Width, png.Height));

        CliRun sample = await CliRun.InProcessAsync("sample", "--count", "4", "--output", temp["s.png"], "--model", model);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        CliRun interpolate = await CliRun.InProcessAsync("interpolate", images[0], images[5], "--steps", "3", "--output", temp["i.png"], "--gif", temp["i.gif"], "--model", model);
        Assert.True(interpolate.ExitCode == 0, interpolate.ToString());
        using Image gif = Image.Load(temp["i.gif"]);
        Assert.Equal(4, gif.Frames.Count); // 3 path images, forth and back
        IImageInfo grid = Image.Identify(temp["s.png"]);
        Assert.True(grid.Width >= 4 * width && grid.Height >= height, $"sample grid {grid.Width}x{grid.Height} holds 4 images of {width}x{height}");
    }
}
