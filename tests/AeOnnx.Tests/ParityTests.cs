using AeOnnx.Tests.Support;
using Xunit.Abstractions;

namespace AeOnnx.Tests;

/// <summary>.NET latents and reconstructions of the fixture PNGs against the torch values in fixtures.json.</summary>
[Collection(SharedModelsCollection.Name)]
public sealed class ParityTests(SharedModels models, ITestOutputHelper output)
{
    // 1e-5 absolute, scaled up for values above 1: ORT's and torch's float32 kernels sum in a
    // different order, which leaves ~1e-6 relative differences on latents of magnitude ~10
    // (measured 1.5e-5 absolute at |latent| 12.6 with every ORT optimization disabled).
    private const double Tolerance = 1e-5;

    public static TheoryData<string> ModelsWithFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var name in TestModels.All().Where(n => File.Exists(Path.Combine(TestModels.Folder(n), "fixtures", "fixtures.json"))))
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ModelsWithFixtures))]
    public void Fixture_images_match_torch_latents_and_reconstructions(string name)
    {
        var model = models.Get(name);
        var fixtures = TestModels.ReadFixtures(name);
        Assert.NotEmpty(fixtures.Images);
        double maxLatent = 0, maxReconstruction = 0, maxLogvar = 0, maxDecoderOnly = 0, latentScale = 1;
        foreach (var image in fixtures.Images)
        {
            var path = Path.Combine(TestModels.Folder(name), "fixtures", image.File);
            var input = model.Images.LoadTensor(path);
            var latents = new float[model.LatentDim];
            var logvar = model.IsVariational ? new float[model.LatentDim] : [];
            model.EncodeTensor(input, latents, logvar);
            var reconstruction = model.Decode(latents);

            Assert.Equal(image.Latent.Length, latents.Length);
            Assert.Equal(image.Reconstruction.Length, reconstruction.Length);
            maxLatent = Math.Max(maxLatent, MaxAbsDiff(image.Latent, latents));
            latentScale = Math.Max(latentScale, image.Latent.Max(v => Math.Abs((double)v)));

            // The decoder alone, fed torch's own latent, isolates decoder numerics from encoder ones.
            maxDecoderOnly = Math.Max(maxDecoderOnly, MaxAbsDiff(image.Reconstruction, model.Decode(image.Latent)));
            maxReconstruction = Math.Max(maxReconstruction, MaxAbsDiff(image.Reconstruction, reconstruction));
            if (image.Logvar is not null)
            {
                maxLogvar = Math.Max(maxLogvar, MaxAbsDiff(image.Logvar, logvar));
            }

            // The public path-based call must agree with the tensor path.
            Assert.Equal(latents, model.Encode(path));
        }

        output.WriteLine(
            $"{name}: {fixtures.Images.Count} images, max |Δ| latent {maxLatent:E2} (max |latent| {latentScale:F2}), " +
            $"reconstruction {maxReconstruction:E2}, decoder on torch latent {maxDecoderOnly:E2}, logvar {maxLogvar:E2}");
        Assert.True(maxReconstruction <= Tolerance, $"reconstruction max diff {maxReconstruction}");
        Assert.True(maxDecoderOnly <= Tolerance, $"decoder-only max diff {maxDecoderOnly}");
        Assert.True(maxLatent <= Tolerance * latentScale, $"latent max diff {maxLatent} at scale {latentScale}");
        Assert.True(maxLogvar <= Tolerance * latentScale, $"logvar max diff {maxLogvar}");
    }

    private static double MaxAbsDiff(float[] expected, ReadOnlySpan<float> actual)
    {
        var max = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)expected[i] - actual[i]));
        }

        return max;
    }
}
