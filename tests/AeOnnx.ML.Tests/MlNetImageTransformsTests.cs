using AeOnnx.ML.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;

namespace AeOnnx.ML.Tests;

/// <summary>Pixel columns made by ML.NET's own LoadImages → ResizeImages → ExtractPixels feed the encoder.</summary>
public sealed class MlNetImageTransformsTests
{
    [Fact]
    public void Extract_pixels_with_manifest_scale_and_offset_encodes_like_the_AeOnnx_loader()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var m = TestData.FashionModel;

        // Manifest: scale 255, mean 0, std 1 → ExtractPixels (p + offset) · scale with offset 0, scale 1/255.
        // The sample PNGs are 8-bit gray, so the red channel is the gray value; already 28×28.
        var mlnet = ml.Transforms.LoadImages("Image", TestData.SampleImages, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255f, outputAsFloatArray: true))
            .Append(ml.Transforms.Autoencoder().Encode("Latent", "Pixels", m));
        var ours = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", m).Append(ml.Transforms.Autoencoder().Encode("Latent", "Pixels", m));

        var a = mlnet.Fit(data).Transform(data);
        var b = ours.Fit(data).Transform(data);
        var pa = Columns.Vectors(a, "Pixels");
        var pb = Columns.Vectors(b, "Pixels");
        var la = Columns.Vectors(a, "Latent");
        var lb = Columns.Vectors(b, "Latent");
        // Every sample image, on both paths: a loop over zero rows would prove nothing.
        var rows = TestData.SamplePaths().Length;
        Assert.Equal(30, rows);
        Assert.Equal(rows, pa.Length);
        Assert.Equal(rows, pb.Length);
        Assert.Equal(rows, la.Length);
        Assert.Equal(rows, lb.Length);
        Assert.All(la, l => Assert.Equal(16, l.Length));
        for (var i = 0; i < pa.Length; i++)
        {
            // p · (1/255) vs p / 255: at most one float ulp apart.
            Columns.AssertClose(pb[i], pa[i], 1e-6f, $"pixels row {i}");
            Columns.AssertClose(lb[i], la[i], 1e-4f, $"latent row {i}");
        }
    }
}

/// <summary>The documented ExtractPixels settings for a manifest with mean ≠ 0 and std ≠ 1.</summary>
public sealed class MlNetNormalizationTests : IDisposable
{
    private readonly AeOnnx.Tests.Support.TempFolder _model = AeOnnx.Tests.Support.SyntheticModel.Create(1, 28, 28, 4, [0.5f], [0.25f]);

    public void Dispose()
    {
        AeOnnxModelCache.Clear();
        _model.Dispose();
    }

    [Fact]
    public void Extract_pixels_offset_is_mean_times_scale_scale_is_one_over_scale_times_std()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var mlnet = ml.Transforms.LoadImages("Image", TestData.SampleImages, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red,
                offsetImage: 0.5f * 255f, scaleImage: 1f / (255f * 0.25f), outputAsFloatArray: true));
        var ours = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", _model.Path);

        var a = Columns.Vectors(mlnet.Fit(data).Transform(data), "Pixels");
        var b = Columns.Vectors(ours.Fit(data).Transform(data), "Pixels");
        Assert.Equal(30, a.Length);
        Assert.Equal(30, b.Length);
        for (var i = 0; i < a.Length; i++)
        {
            Columns.AssertClose(b[i], a[i], 1e-5f, $"row {i}");
        }

        Assert.Contains(b.SelectMany(v => v), v => v < -1.9f); // black pixels: (0 − 0.5) / 0.25 = −2
    }
}
