using AeOnnx.ML.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;

namespace AeOnnx.ML.Tests;

/// <summary>Pixel columns made by ML.NET's own LoadImages → ResizeImages → ExtractPixels feed the encoder.</summary>
public sealed class MlNetImageTransformsTests
{
    [Fact]
    public void ExtractPixels_WithManifestScaleAndOffset_EncodesLikeTheAeOnnxLoader()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var m = TestData.FashionModel;

        // Manifest: scale 255, mean 0, std 1 → ExtractPixels (p + offset) · scale with offset 0, scale 1/255.
        // The sample PNGs are 8-bit gray, so the red channel is the gray value; already 28×28.
        var mlnet = ml.Transforms.LoadImages("Image", TestData.SampleImages, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255f, outputAsFloatArray: true))
            .Append(ml.Transforms.EncodeWithAutoencoder(m));
        var ours = ml.Transforms.LoadAutoencoderImages(m).Append(ml.Transforms.EncodeWithAutoencoder(m));

        var a = mlnet.Fit(data).Transform(data);
        var b = ours.Fit(data).Transform(data);
        var pa = Columns.Vectors(a, "Pixels");
        var pb = Columns.Vectors(b, "Pixels");
        var la = Columns.Vectors(a, "Latent");
        var lb = Columns.Vectors(b, "Latent");
        for (var i = 0; i < pa.Length; i++)
        {
            // p · (1/255) vs p / 255: at most one float ulp apart.
            Columns.AssertClose(pb[i], pa[i], 1e-6f, $"pixels row {i}");
            Columns.AssertClose(lb[i], la[i], 1e-4f, $"latent row {i}");
        }
    }
}
