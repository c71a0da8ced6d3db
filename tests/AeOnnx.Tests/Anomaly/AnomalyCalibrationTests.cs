using System.Text;
using AeOnnx.Anomaly;
using AeOnnx.Models;
using AeOnnx.Tests.Models;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Anomaly;

/// <summary>The manifest's anomaly block as read: values, thresholds by the documented quantile rule, the combined score.</summary>
public sealed class AnomalyCalibrationTests
{
    private static AnomalyCalibration Read()
    {
        var manifest = TestModels.ReadManifest(TestModels.Folder(TestModels.FashionAe));
        manifest["anomaly"] = ManifestSchemaTests.AnomalyBlock();
        return ModelManifest.Parse(Encoding.UTF8.GetBytes(manifest.ToJsonString()), "m/manifest.json").Anomaly!;
    }

    [Fact]
    public void The_block_is_read_with_its_values()
    {
        var a = Read();
        Assert.Equal(AnomalyScore.Combined, a.DefaultScore);
        Assert.Equal(3, a.CalibrationImages);
        Assert.Equal("validation split", a.CalibrationSource);
        Assert.Equal(new SsimWindow { Size = 7, Sigma = 1.5, K1 = 0.01, K2 = 0.03 }, a.Ssim);
        Assert.Equal([AnomalyScore.Mse, AnomalyScore.Ssim, AnomalyScore.Mahalanobis, AnomalyScore.Combined], a.Scores.Keys);
        Assert.Equal([0.01, 0.02, 0.03], a.Scores[AnomalyScore.Mse].Sorted);
        Assert.Equal(0.01, a.Scores[AnomalyScore.Mse].Std);
        Assert.Null(a.LikelihoodSigma);
        Assert.Equal(2, a.CombinedTerms.Count);
        Assert.Equal(new CombinedScoreTerm { Score = AnomalyScore.Mse, Transform = ScoreTransform.Log, Mean = -4.5, Std = 0.25 }, a.CombinedTerms[0]);
    }

    [Theory]
    [InlineData(0.01, 0.0298)]   // h = 2 * 0.99 = 1.98: 0.02 + 0.98 * 0.01
    [InlineData(0.25, 0.025)]    // h = 1.5
    [InlineData(0.5, 0.02)]      // h = 1: an order statistic
    [InlineData(0.999, 0.010020)] // h = 0.002
    public void Thresholds_follow_the_linear_quantile_rule(double rate, double expected)
    {
        Assert.Equal(expected, Read().Threshold(rate, AnomalyScore.Mse), 12);
    }

    [Fact]
    public void The_default_score_threshold_and_refusals()
    {
        var a = Read();
        Assert.Equal(1.5 - (0.01 * 2 * 1.0), a.Threshold(0.01), 12); // combined: 0.5 + 0.98 * (1.5 - 0.5)
        var error = Assert.Throws<ArgumentException>(() => a.Threshold(0.01, AnomalyScore.NegativeElbo));
        Assert.Contains("no calibrated score neg_elbo", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Threshold(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Threshold(1));
    }

    [Fact]
    public void The_combined_score_standardises_each_term()
    {
        var a = Read();
        // log(e^-4.5) = -4.5: term 0; mahalanobis 5: (5 - 4) / 1 = 1
        Assert.Equal(1.0, a.Combine(s => s == AnomalyScore.Mse ? Math.Exp(-4.5) : 5.0), 12);
        // a perfect reconstruction (mse 0) is floored at 1e-12, not -infinity
        Assert.Equal((Math.Log(1e-12) + 4.5) / 0.25, a.Combine(s => s == AnomalyScore.Mse ? 0.0 : 4.0), 9);
    }

    [Fact]
    public void Sorted_values_out_of_order_or_not_one_per_image_are_refused()
    {
        var manifest = TestModels.ReadManifest(TestModels.Folder(TestModels.FashionAe));
        var block = ManifestSchemaTests.AnomalyBlock();
        block["scores"]!["ssim"]!["sorted"] = new System.Text.Json.Nodes.JsonArray(0.3, 0.2, 0.4);
        manifest["anomaly"] = block;
        var error = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(Encoding.UTF8.GetBytes(manifest.ToJsonString()), "m/manifest.json"));
        Assert.Equal("anomaly.scores.ssim.sorted[1]", error.Field);

        block["scores"]!["ssim"]!["sorted"] = new System.Text.Json.Nodes.JsonArray(0.1, 0.2);
        manifest["anomaly"] = block.DeepClone();
        error = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(Encoding.UTF8.GetBytes(manifest.ToJsonString()), "m/manifest.json"));
        Assert.Equal("anomaly.scores.ssim.sorted", error.Field);
        Assert.Contains("3 values (calibration.images)", error.Message, StringComparison.Ordinal);
    }
}
