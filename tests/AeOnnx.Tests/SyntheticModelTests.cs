using AeOnnx.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Tests;

/// <summary>
/// End to end on graphs whose math is known (latent = Wᵀ·x): any image shape goes through the same
/// binaries, and the .NET result is checked against a product computed here.
/// </summary>
public sealed class SyntheticModelTests
{
    [Theory]
    [InlineData(3, 32, 32, 8)]
    [InlineData(1, 28, 28, 16)]
    [InlineData(3, 7, 5, 3)]
    public void Any_shape_encodes_to_the_independently_computed_product(int channels, int height, int width, int latentDim)
    {
        float[] mean = channels == 3 ? [0.1f, 0.2f, 0.3f] : [0.5f];
        float[] std = channels == 3 ? [0.5f, 0.25f, 2f] : [0.5f];
        using var folder = SyntheticModel.Create(channels, height, width, latentDim, mean, std);
        using var model = Autoencoder.Load(folder.Path, TestModels.CpuOptions());
        Assert.Equal((channels, height, width, latentDim), (model.Channels, model.Height, model.Width, model.LatentDim));

        var path = folder.File("input.png");
        using (var image = new Image<Rgb24>(width, height))
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    image[x, y] = new Rgb24((byte)((x * 37) + y), (byte)(y * 11), (byte)(255 - x - y));
                }
            }

            image.SaveAsPng(path);
        }

        // x in NCHW order, from the pixel rule of the contract, written out independently here.
        var plane = height * width;
        var input = new double[channels * plane];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                int r = (byte)((x * 37) + y), g = (byte)(y * 11), b = (byte)(255 - x - y);
                int[] values = channels == 3 ? [r, g, b] : [((r * 19595) + (g * 38470) + (b * 7471) + 32768) >> 16];
                for (var c = 0; c < channels; c++)
                {
                    input[(c * plane) + (y * width) + x] = ((values[c] / 255f) - mean[c]) / std[c];
                }
            }
        }

        var latent = model.Encode(path);
        for (var j = 0; j < latentDim; j++)
        {
            var expected = 0.0;
            for (var k = 0; k < input.Length; k++)
            {
                expected += input[k] * OnnxBuilder.Weight((k * latentDim) + j);
            }

            Assert.Equal(expected, latent[j], 3);
        }

        var reconstruction = model.Reconstruct(path);
        Assert.Equal(channels * plane, reconstruction.Output.Length);
        var decoded = model.DecodeImage(latent);
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
    }
}
