using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.ML.Tests;

/// <summary>
/// A 3×32×32 RGB model with per-channel normalization (a synthetic graph pair built by the core's
/// test support), over color images of model size and of other sizes (resized by the core).
/// </summary>
public sealed class RgbModelTests : IDisposable
{
    private static readonly float[] Mean = [0.5f, 0.4f, 0.3f];
    private static readonly float[] Std = [0.2f, 0.25f, 0.3f];
    private readonly TempFolder _model = SyntheticModel.Create(3, 32, 32, 8, Mean, Std);
    private readonly TempFolder _images = new();
    private readonly string[] _paths;

    public RgbModelTests()
    {
        _paths = Enumerable.Range(0, 12).Select(i =>
        {
            var (w, h) = i % 3 == 0 ? (40, 24) : (32, 32); // every third image needs a resize
            using var image = new Image<Rgba32>(w, h);
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    image[x, y] = new Rgba32((byte)((x * 7) + (i * 20)), (byte)((y * 11) + i), (byte)((x * y) + (i * 3)), 255);
                }
            }

            var path = _images.File($"color-{i:D2}.png");
            image.SaveAsPng(path);
            return path;
        }).ToArray();
    }

    public void Dispose()
    {
        AeOnnxModelCache.Clear(); // the synthetic folder is about to disappear
        _model.Dispose();
        _images.Dispose();
    }

    [Fact]
    public void Rgb_pipeline_equals_the_core_and_survives_save_and_load()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_paths.Select(p => new ImageRow { ImagePath = p }));
        var m = _model.Path;
        var pipeline = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", m)
            .Append(ml.Transforms.Autoencoder().Encode("Latent", "Pixels", m))
            .Append(ml.Transforms.Autoencoder().ReconstructionError("ReconstructionError", "Pixels", m));
        var fitted = pipeline.Fit(data);
        var output = fitted.Transform(data);

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3 * 32 * 32), output.Schema["Pixels"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 8), output.Schema["Latent"].Type);
        using var core = Autoencoder.Load(m, new AutoencoderOptions { Device = Device.Cpu });
        var pixels = Columns.Vectors(output, "Pixels");
        var latents = Columns.Vectors(output, "Latent");
        var errors = Columns.Scalars(output, "ReconstructionError");
        for (var i = 0; i < _paths.Length; i++)
        {
            Assert.Equal(core.Images.LoadTensor(_paths[i]), pixels[i]);
            Columns.AssertClose(core.Encode(_paths[i]), latents[i], 1e-5f, _paths[i]);
            Assert.Equal(core.Reconstruct(_paths[i]).Error.Mse, errors[i], 1e-6);
        }

        var saved = _images.File("rgb.zip");
        ml.SaveWithAeOnnx(fitted, data.Schema, saved);
        var fresh = new MLContext(seed: 1);
        var loaded = fresh.LoadWithAeOnnx(saved, out _).Transform(fresh.Data.LoadFromEnumerable(_paths.Select(p => new ImageRow { ImagePath = p })));
        Assert.Equal(output.Schema["Latent"].Type, loaded.Schema["Latent"].Type);
        var reloaded = Columns.Vectors(loaded, "Latent");
        for (var i = 0; i < _paths.Length; i++)
        {
            Columns.AssertClose(latents[i], reloaded[i], 1e-5f, $"reloaded {_paths[i]}");
        }
    }

    [Fact]
    public void Load_pointed_at_a_different_model_is_refused_naming_both()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var fitted = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel).Fit(data);
        var saved = _images.File("fashion.zip");
        ml.SaveWithAeOnnx(fitted, data.Schema, saved);

        var options = new AeOnnxLoadOptions();
        options.ModelDirectories["fashion-mnist-ae"] = _model.Path; // the RGB synthetic model
        var fresh = new MLContext(seed: 1);
        var e = Assert.Throws<AutoencoderModelMismatchException>(() => fresh.LoadWithAeOnnx(saved, out _, options));

        Assert.Contains("fitted with 'fashion-mnist-ae' (1×28×28 → 16)", e.Message, StringComparison.Ordinal);
        Assert.Contains("'synthetic-3x32x32' (3×32×32 → 8)", e.Message, StringComparison.Ordinal);
        Assert.Contains("refused under every policy", e.Message, StringComparison.Ordinal);
    }
}
