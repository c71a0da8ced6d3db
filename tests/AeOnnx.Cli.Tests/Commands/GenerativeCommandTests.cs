using AeOnnx.Cli.Output;
using AeOnnx.Imaging;
using AeOnnx.Latents;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Tests.Commands;

/// <summary>interpolate, sample, arithmetic: outputs checked against the core library's latent math and decoder.</summary>
public sealed class GenerativeCommandTests : IClassFixture<ModelFixture>, IDisposable
{
    private readonly Autoencoder _model;
    private readonly TempFolder _temp = new();

    public GenerativeCommandTests(ModelFixture fixture) => _model = fixture.Model;

    public void Dispose() => _temp.Dispose();

    private static string Sample(string name) => Path.Combine(Repo.Samples, name);

    /// <summary>The decoded image's pixel at the middle, as the grid/GIF draw it (gray on RGB).</summary>
    private byte MiddlePixel(float[] latent)
    {
        using var image = ImageSharpInterop.ToImageSharp(_model.DecodeImage(latent)).CloneAs<L8>();
        return image[_model.Width / 2, _model.Height / 2].PackedValue;
    }

    [Fact]
    public async Task Interpolate_writes_a_labelled_grid_and_a_looping_gif_of_the_core_path()
    {
        var a = Sample("boot-00000.png");
        var b = Sample("sneaker-00009.png");
        var c = Sample("bag-00018.png");
        var run = await CliRun.InProcessAsync("interpolate", a, b, c, "--steps", "5", "--mode", "lerp", "--output", _temp["path.png"], "--gif", _temp["path.gif"], "--frame-ms", "150", "--model", Repo.Model);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());

        var path = LatentMath.Path([_model.Encode(a), _model.Encode(b), _model.Encode(c)], 4, InterpolationMode.Linear);
        Assert.Equal(9, path.Length);
        using var gif = Image.Load<Rgb24>(_temp["path.gif"]);
        Assert.Equal(9 + 7, gif.Frames.Count); // forth, then back without repeating the ends
        Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);
        Assert.Equal(15, gif.Frames[0].Metadata.GetGifMetadata().FrameDelay);
        Assert.Equal(28 * 4, gif.Width);
        foreach (var i in new[] { 0, 2, 4, 8 })
        {
            var expected = MiddlePixel(path[i]);
            var actual = gif.Frames[i][gif.Width / 2, gif.Height / 2];

            // Gray stays gray; ImageSharp's palette lookup caches colors at 5 bits a channel, so a value may move by a few levels.
            Assert.True(actual.R == actual.G && actual.G == actual.B && Math.Abs(actual.R - expected) <= 4, $"frame {i}: {actual} vs decoded {expected}");
        }

        Assert.Equal(gif.Frames[7][50, 50], gif.Frames[9][50, 50]); // frame 9 goes back to path[7]

        var rows = Image.Identify(_temp["path.png"]);
        var strip = await CliRun.InProcessAsync("interpolate", a, b, c, "--steps", "5", "--layout", "strip", "--output", _temp["strip.png"], "--model", Repo.Model);
        Assert.Equal(ExitCodes.Success, strip.ExitCode);
        var wide = Image.Identify(_temp["strip.png"]);
        Assert.True(wide.Width > 9 * 84, "strip: nine 84-pixel cells in one row");
        Assert.True(rows.Height > 2 * 84 && rows.Height > wide.Height, "rows: one row per segment");
    }

    [Fact]
    public async Task Interpolate_skips_an_unreadable_key_image_and_needs_two_good_ones()
    {
        var bad = _temp.Write("bad.png", "not an image");
        var run = await CliRun.InProcessAsync("interpolate", Sample("boot-00000.png"), bad, Sample("bag-00018.png"), "--output", _temp["p.png"], "--model", Repo.Model);
        Assert.True(run.ExitCode == ExitCodes.SomeInputsSkipped, run.ToString());
        Assert.Contains("bad.png", run.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(_temp["p.png"]));

        var one = await CliRun.InProcessAsync("interpolate", Sample("boot-00000.png"), bad, "--output", _temp["q.png"], "--model", Repo.Model);
        Assert.Equal(ExitCodes.Fatal, one.ExitCode);
        Assert.False(File.Exists(_temp["q.png"]));
    }

    [Fact]
    public async Task Sample_is_seeded_and_its_latents_are_the_core_samples()
    {
        var first = await CliRun.InProcessAsync("sample", "--count", "10", "--seed", "42", "--columns", "5", "--output", _temp["s1.png"], "--latents", _temp["z.npy"], "--model", Repo.Model);
        Assert.True(first.ExitCode == ExitCodes.Success, first.ToString());
        var again = await CliRun.InProcessAsync("sample", "--count", "10", "--seed", "42", "--columns", "5", "--output", _temp["s2.png"], "--model", Repo.Model);
        var other = await CliRun.InProcessAsync("sample", "--count", "10", "--seed", "43", "--columns", "5", "--output", _temp["s3.png"], "--model", Repo.Model);
        Assert.Equal(File.ReadAllBytes(_temp["s1.png"]), File.ReadAllBytes(_temp["s2.png"]));
        Assert.NotEqual(File.ReadAllBytes(_temp["s1.png"]), File.ReadAllBytes(_temp["s3.png"]));

        var expected = _model.SampleLatents(10, 42);
        var written = NpyFile.ReadAll(_temp["z.npy"]);
        Assert.Equal(expected.SelectMany(z => z), written.Cast<float>());

        var grid = Image.Identify(_temp["s1.png"]);
        Assert.InRange(grid.Width, 5 * 84, (5 * 84) + 400); // the title may be wider than the cells
        Assert.InRange(grid.Height, 2 * 84, (2 * 84) + 80);
    }

    [Fact]
    public async Task Sample_from_picks_the_fitted_gaussian_or_a_vaes_prior_and_refuses_an_autoencoders_prior()
    {
        var vaeFolder = Path.Combine(Repo.Root, "models", "fashion-mnist-vae");
        using var vae = Autoencoder.Load(vaeFolder, new AutoencoderOptions { Device = Device.Cpu });
        var latent = vae.Manifest.Latent;

        // Independent references: mean + L·z from the manifest's numbers, and N(0, I).
        var fitted = new LatentGaussian(latent.Mean!, latent.Cholesky!).Sample(6, 11);
        var prior = LatentGaussian.Standard(16).Sample(6, 11);
        Assert.NotEqual(fitted[0], prior[0]);

        foreach (var (from, expected) in new[] { ("auto", fitted), ("fitted", fitted), ("prior", prior) })
        {
            var npy = _temp[$"z-{from}.npy"];
            var run = await CliRun.InProcessAsync("sample", "--model", vaeFolder, "--from", from, "--count", "6", "--seed", "11", "--output", _temp[$"g-{from}.png"], "--latents", npy);
            Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
            Assert.Equal(expected.SelectMany(z => z), NpyFile.ReadAll(npy).Cast<float>());
        }

        Assert.Equal(File.ReadAllBytes(_temp["g-auto.png"]), File.ReadAllBytes(_temp["g-fitted.png"]));
        Assert.NotEqual(File.ReadAllBytes(_temp["g-fitted.png"]), File.ReadAllBytes(_temp["g-prior.png"]));

        var refused = await CliRun.InProcessAsync("sample", "--model", Repo.Model, "--from", "prior", "--output", _temp["ae-prior.png"]);
        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains("--from prior: Model 'fashion-mnist-ae' is a plain autoencoder: it has no prior to sample from", refused.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp["ae-prior.png"]));

        var unknown = await CliRun.InProcessAsync("sample", "--from", "posterior", "--output", _temp["x.png"]);
        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains("posterior", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arithmetic_moves_images_along_a_class_direction_in_a_labelled_grid()
    {
        var shirt = Sample("shirt-00007.png");
        var tshirt = Sample("tshirt-00019.png");
        var run = await CliRun.InProcessAsync("arithmetic", shirt, tshirt, "--from", "shirt", "--to", "Coat", "--steps", "3", "--strength", "2", "--output", _temp["a.png"], "--model", Repo.Model);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        using var grid = Image.Load<Rgb24>(_temp["a.png"]);
        Assert.InRange(grid.Width, 3 * 84, (3 * 84) + 300);
        Assert.InRange(grid.Height, 2 * 84, (2 * 84) + 80);

        var folders = await CliRun.InProcessAsync("arithmetic", shirt, "--from-folder", Repo.Samples, "--to-folder", Repo.Samples, "--output", _temp["f.png"], "--model", Repo.Model);
        Assert.True(folders.ExitCode == ExitCodes.Success, folders.ToString());

        var unknown = await CliRun.InProcessAsync("arithmetic", shirt, "--from", "Hat", "--to", "Coat", "--output", _temp["u.png"], "--model", Repo.Model);
        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains("Ankle boot", unknown.Error, StringComparison.Ordinal);
        var noDirection = await CliRun.InProcessAsync("arithmetic", shirt, "--output", _temp["n.png"], "--model", Repo.Model);
        Assert.Equal(ExitCodes.Usage, noDirection.ExitCode);

        var classes = await CliRun.InProcessAsync("arithmetic", "--list-classes", "--model", Repo.Model);
        Assert.Equal(ExitCodes.Success, classes.ExitCode);
        Assert.Equal(_model.Classes.Count, classes.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Arithmetic_cells_are_the_core_decode_of_z_plus_s_times_the_class_direction()
    {
        var shirt = Sample("shirt-00007.png");
        var run = await CliRun.InProcessAsync("arithmetic", shirt, "--from", "Shirt", "--to", "Coat", "--steps", "3", "--strength", "2", "--output", _temp["cells.png"], "--model", Repo.Model, "--device", "cpu", "--quiet");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        using var grid = Image.Load<Rgb24>(_temp["cells.png"]);

        var z = _model.Encode(shirt);
        var from = _model.Classes.Single(c => c.Label == "Shirt").Centroid.ToArray();
        var to = _model.Classes.Single(c => c.Label == "Coat").Centroid.ToArray();
        var direction = to.Select((v, i) => v - from[i]).ToArray();
        var cells = new float[] { 0, 1, 2 }
            .Select(s => z.Select((v, i) => v + (s * direction[i])).ToArray())
            .Select(moved => Gray(ImageSharpInterop.ToImageSharp(_model.DecodeImage(moved))))
            .ToArray();

        // A zero (or wrong) direction would draw Decode(z) in every column: the s=2 cell must differ from it.
        Assert.NotEqual(cells[0], cells[2]);
        foreach (var cell in cells)
        {
            Assert.True(FindCell(grid, cell, _model.Width, _model.Height, zoom: 3), "a grid cell equals the core's Decode(z + s*d), enlarged 3x");
        }
    }

    private static byte[] Gray(Image image)
    {
        using (image)
        using (var gray = image.CloneAs<L8>())
        {
            var pixels = new byte[gray.Width * gray.Height];
            gray.CopyPixelDataTo(pixels);
            return pixels;
        }
    }

    /// <summary>True when the grid holds the gray image, each pixel drawn as a zoom x zoom block.</summary>
    private static bool FindCell(Image<Rgb24> grid, byte[] cell, int width, int height, int zoom)
    {
        for (var top = 0; top + (height * zoom) <= grid.Height; top++)
        {
            for (var left = 0; left + (width * zoom) <= grid.Width; left++)
            {
                var match = true;
                for (var y = 0; y < height * zoom && match; y++)
                {
                    for (var x = 0; x < width * zoom && match; x++)
                    {
                        var expected = cell[((y / zoom) * width) + (x / zoom)];
                        var actual = grid[left + x, top + y];
                        match = actual.R == expected && actual.G == expected && actual.B == expected;
                    }
                }

                if (match)
                {
                    return true;
                }
            }
        }

        return false;
    }

    [Fact]
    public async Task Arithmetic_with_the_same_folder_twice_leaves_every_column_the_plain_reconstruction()
    {
        // Direction (centroid − centroid) is zero, so each column decodes the image's own latent.
        var shirt = Sample("shirt-00007.png");
        var run = await CliRun.InProcessAsync("arithmetic", shirt, "--from-folder", Repo.Samples, "--to-folder", Repo.Samples, "--steps", "2", "--output", _temp["same.png"], "--model", Repo.Model);
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        using var grid = Image.Load<Rgb24>(_temp["same.png"]);
        var middle = MiddlePixel(_model.Encode(shirt));
        var hits = 0;
        for (var x = 0; x < grid.Width; x++)
        {
            for (var y = 0; y < grid.Height; y++)
            {
                hits += grid[x, y].R == middle && grid[x, y].G == middle ? 1 : 0;
            }
        }

        Assert.True(hits >= 2 * 9, "both columns show the reconstruction's middle pixel (a 3x3 block each)");
    }
}
