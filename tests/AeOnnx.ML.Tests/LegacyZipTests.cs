using AeOnnx.ML.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Tests;

/// <summary>
/// A zip saved by the first persistence format (Fixtures/README.md) still loads. It was fitted on the
/// fashion-mnist-ae graphs shipped before the retrain, so the default Pinned policy refuses today's
/// graphs by hash, and the Follow policy takes them and predicts the same numbers as a fresh pipeline.
/// </summary>
public sealed class LegacyZipTests
{
    private static string LegacyZip => Path.Combine(AppContext.BaseDirectory, "Fixtures", "legacy-v1-pipeline.zip");

    [Fact]
    public void LegacyZip_LoadsWithModelDirectories_AndMatchesAFreshPipeline()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var m = TestData.FashionModel;
        var fresh = ml.Transforms.Autoencoder().LoadImages("Pix", "ImagePath", m)
            .Append(ml.Transforms.Autoencoder().Encode("Z", "Pix", m))
            .Append(ml.Transforms.Autoencoder().ReconstructionError("Err", "Pix", m))
            .Fit(data)
            .Transform(data);

        var options = new AeOnnxLoadOptions { ModelPolicy = AutoencoderModelPolicy.Follow };
        options.ModelDirectories["fashion-mnist-ae"] = m;
        var loadContext = new MLContext(seed: 1);
        var loaded = loadContext.LoadWithAeOnnx(LegacyZip, out var schema, options).Transform(TestData.SampleView(loadContext));

        Assert.Equal("ImagePath", schema["ImagePath"].Name);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 16), loaded.Schema["Z"].Type);
        var expected = Columns.Vectors(fresh, "Z");
        var actual = Columns.Vectors(loaded, "Z");
        var half = Columns.Vectors(loaded, "Half");
        Assert.Equal(TestData.SamplePaths().Length, actual.Length);
        Assert.Equal(30, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Columns.AssertClose(expected[i], actual[i], 1e-5f, $"Z row {i}");
            // Interpolating a latent with itself gives it back (t = 0.25 was saved).
            Columns.AssertClose(actual[i], half[i], 1e-5f, $"Half row {i}");
        }

        Assert.Equal(Columns.Scalars(fresh, "Err"), Columns.Scalars(loaded, "Err"), (p, q) => Math.Abs(p - q) <= 1e-6f);
    }

    [Fact]
    public void LegacyZip_FittedOnOtherGraphs_IsRefusedByThePinnedDefault_NamingBothHashes()
    {
        var options = new AeOnnxLoadOptions();
        options.ModelDirectories["fashion-mnist-ae"] = TestData.FashionModel;
        var ml = new MLContext(seed: 1);

        var error = Assert.Throws<AutoencoderModelMismatchException>(() => ml.LoadWithAeOnnx(LegacyZip, out _, options));

        // The graphs the zip was fitted on (shipped before the retrain) and the ones in the folder now.
        Assert.Contains("policy Pinned", error.Message);
        Assert.Contains("723670d1f0a2b8886056103335b554c99e11b801d15d056d395f2477b83e7b89", error.Message);
        var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TestData.FashionModel, "manifest.json")));
        Assert.Contains(manifest.RootElement.GetProperty("encoder").GetProperty("sha256").GetString()!, error.Message);
    }
}
