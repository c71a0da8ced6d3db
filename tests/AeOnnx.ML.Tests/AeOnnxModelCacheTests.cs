using AeOnnx.ML.Tests.Support;
using Microsoft.ML;

namespace AeOnnx.ML.Tests;

public sealed class AeOnnxModelCacheTests
{
    [Fact]
    public void Clear_disposes_the_sessions_and_a_fitted_transformer_reloads_its_model()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var m = TestData.FashionModel;
        var model = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", m).Append(ml.Transforms.Autoencoder().Encode("Latent", "Pixels", m)).Fit(data);
        var before = Columns.Vectors(model.Transform(data), "Latent");

        Assert.True(AeOnnxModelCache.Clear() >= 1);
        var after = Columns.Vectors(model.Transform(data), "Latent");

        Assert.Equal(before, after);
    }
}
