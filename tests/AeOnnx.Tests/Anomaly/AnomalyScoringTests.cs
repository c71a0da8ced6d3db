using System.Globalization;
using AeOnnx.Anomaly;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Anomaly;

/// <summary>
/// Anomaly scores, decisions and error maps from the library, against numbers computed elsewhere: the
/// Python scores of tests/fixtures/one-class (make_fixture.py), error maps recomputed here from the tensors.
/// </summary>
public sealed class AnomalyScoringTests
{
    internal static string Fixture => OneClassFixture.Folder;

    internal static string FixtureModel => OneClassFixture.Model;

    [Fact]
    public void Scores_match_the_training_side_on_every_fixture_image()
    {
        using var model = Autoencoder.Load(FixtureModel, TestModels.CpuOptions());
        Assert.NotNull(model.Manifest.Anomaly);
        var count = 0;
        foreach (var (path, expected) in OneClassFixture.PythonScores())
        {
            var result = model.ScoreAnomaly(Path.Combine(Fixture, path));
            Assert.Equal(AnomalyScore.Combined, result.ScoreKind);
            foreach (var (name, value) in expected)
            {
                Assert.True(AnomalyScoreNames.TryParse(name, out var score), name);
                var actual = result.Scores[score];
                // float32 networks on two runtimes: the same to a few float32 ulps of the activations
                var tolerance = OneClassFixture.Tolerance(name, value);
                Assert.True(Math.Abs(actual - value) <= tolerance, $"{path} {name}: .NET {actual}, Python {value}");
            }

            count++;
        }

        Assert.Equal(380, count);
    }

    [Theory]
    [InlineData(TestModels.FashionAe, "samples/images/bag-00018.png")]
    [InlineData("tiny-rgb", "samples/images/bag-00018.png")]
    public void The_error_map_is_the_squared_error_per_pixel_recomputed_from_the_tensors(string name, string image)
    {
        using var model = Autoencoder.Load(TestModels.Folder(name), TestModels.CpuOptions());
        var path = Path.Combine(TestModels.RepoRoot, image);
        var result = model.ScoreAnomaly(path);

        // independently: the manifest's normalisation undone by hand, squared differences averaged over channels
        var input = model.Images.LoadTensor(path);
        var output = model.Decode(model.Encode(input));
        var spec = model.Manifest.Image;
        var plane = model.Height * model.Width;
        Assert.Equal(plane, result.ErrorMap.Length);
        var total = 0.0;
        for (var p = 0; p < plane; p++)
        {
            var e = 0.0;
            for (var c = 0; c < model.Channels; c++)
            {
                var d = ((input[(c * plane) + p] - output[(c * plane) + p]) * (double)spec.Std[c]);
                e += d * d;
            }

            e /= model.Channels;
            total += e;
            Assert.True(Math.Abs(result.ErrorMap[p] - e) <= 1e-6 + (1e-5 * e), $"pixel {p}: {result.ErrorMap[p]} vs {e}");
        }

        Assert.Equal(result.Scores[AnomalyScore.Mse], total / plane, 1e-6);
        Assert.Contains(result.ErrorMap, v => v > 1e-4); // not a trivially empty map
    }

    [Fact]
    public void The_heatmap_shows_the_image_the_reconstruction_and_the_error_overlay()
    {
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), TestModels.CpuOptions());
        var path = Path.Combine(TestModels.RepoRoot, "samples/images/bag-00018.png");
        var result = model.ScoreAnomaly(path);
        var original = model.Images.LoadModelImage(path).Pixels.ToArray();            // Gray8, 28 x 28
        var reconstruction = model.Images.ToImage(result.Reconstruction.Output).Pixels.ToArray();
        int w = model.Width, h = model.Height;

        foreach (var scale in new[] { 1, 3 })
        {
            var heatmap = AnomalyHeatmap.Render(model, result, scale);
            Assert.Equal((3 * w * scale, h * scale), (heatmap.Width, heatmap.Height));
            var px = heatmap.Pixels.ToArray();
            for (var y = 0; y < h * scale; y++)
            {
                for (var x = 0; x < 3 * w * scale; x++)
                {
                    int panel = x / (w * scale), p = (y / scale * w) + (x % (w * scale) / scale);
                    var actual = px.AsSpan(((y * heatmap.Width) + x) * 3, 3).ToArray();
                    if (panel < 2)
                    {
                        var v = panel == 0 ? original[p] : reconstruction[p];
                        Assert.Equal([v, v, v], actual);
                    }
                    else
                    {
                        // the map under test is float32, the error here float64: a byte may round the other way
                        var expected = ExpectedOverlay(original[p], ErrorAt(model, result, p));
                        for (var c = 0; c < 3; c++)
                        {
                            Assert.True(Math.Abs(expected[c] - actual[c]) <= 1, $"overlay ({x}, {y}) channel {c}: {actual[c]}, expected {expected[c]}");
                        }
                    }
                }
            }
        }

        // something is drawn: the overlay differs from the image where the error is large
        var worst = Array.IndexOf(result.ErrorMap, result.ErrorMap.Max());
        var at = ((worst / w * 3 * w) + (2 * w) + (worst % w)) * 3;
        byte[] gray = [original[worst], original[worst], original[worst]];
        Assert.NotEqual(gray, AnomalyHeatmap.Render(model, result, 1).Pixels.Slice(at, 3).ToArray());
    }

    private static double ErrorAt(Autoencoder model, AnomalyResult result, int p)
    {
        // recomputed from the tensors (one gray channel), not read from the map under test
        var d = ((double)result.Reconstruction.Input[p] - result.Reconstruction.Output[p]) * model.Manifest.Image.Std[0];
        return d * d;
    }

    private static byte[] ExpectedOverlay(byte gray, double squaredError)
    {
        var t = Math.Min(1.0, Math.Sqrt(squaredError) / 0.5);
        return [Blend(gray, 255, t), Blend(gray, 255 * t, t), Blend(gray, 0, t)];
    }

    private static byte Blend(byte image, double colour, double t) => (byte)Math.Round(((1 - t) * image) + (t * colour), MidpointRounding.ToEven);

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.05)]
    [InlineData(0.1)]
    public void The_calibrated_threshold_gives_the_asked_false_positive_rate_on_held_out_normal_images(double rate)
    {
        using var model = Autoencoder.Load(FixtureModel, TestModels.CpuOptions());
        var threshold = model.AnomalyThreshold(rate);
        Assert.Equal(AnomalyScore.Combined, threshold.Score);
        Assert.Equal(rate, threshold.FalsePositiveRate);
        var normal = Directory.GetFiles(Path.Combine(Fixture, "normal"), "*.png");
        var flagged = normal.Count(f => model.ScoreAnomaly(f, threshold).IsAnomaly == true);

        // sampling error: the held-out count is binomial, and the threshold is the quantile of n calibration images
        var n = normal.Length;
        var calibration = model.Manifest.Anomaly!.CalibrationImages;
        var sd = Math.Sqrt((n * rate * (1 - rate)) + (n * n * rate * (1 - rate) / calibration));
        Assert.True(Math.Abs(flagged - (n * rate)) <= 3 * sd, $"{flagged} of {n} normal images flagged at a {rate:P0} false-positive rate (expected {n * rate:0.0} ± {3 * sd:0.0})");

        if (rate >= 0.05)
        {
            var anomalous = Directory.GetFiles(Path.Combine(Fixture, "anomalous"), "*.png");
            var detected = anomalous.Count(f => model.ScoreAnomaly(f, threshold).IsAnomaly == true);
            Assert.True(detected > anomalous.Length / 2, $"only {detected} of {anomalous.Length} anomalous images flagged");
        }
    }

    [Fact]
    public void A_model_without_calibration_scores_but_does_not_decide()
    {
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), TestModels.CpuOptions());
        var result = model.ScoreAnomaly(Path.Combine(TestModels.RepoRoot, "samples/images/bag-00018.png"));
        Assert.Equal([AnomalyScore.Mse, AnomalyScore.Ssim, AnomalyScore.Mahalanobis], result.Scores.Keys);
        Assert.Equal(AnomalyScore.Mse, result.ScoreKind);
        Assert.Null(result.IsAnomaly);
        Assert.Equal(result.Reconstruction.Error.Mse, result.Score);
        var error = Assert.Throws<InvalidOperationException>(() => model.AnomalyThreshold(0.01));
        Assert.Contains("no anomaly calibration", error.Message, StringComparison.Ordinal);

        // a threshold given directly decides; one on a score the model lacks is refused by name
        Assert.True(model.ScoreAnomaly(result.Reconstruction, new AnomalyThreshold(AnomalyScore.Mse, 0)).IsAnomaly);
        Assert.False(model.ScoreAnomaly(result.Reconstruction, new AnomalyThreshold(AnomalyScore.Mse, 1)).IsAnomaly);
        var missing = Assert.Throws<InvalidOperationException>(() => model.ScoreAnomaly(result.Reconstruction, new AnomalyThreshold(AnomalyScore.Combined, 0)));
        Assert.Contains("cannot compute the anomaly score combined", missing.Message, StringComparison.Ordinal);
    }
}
