using System.Globalization;
using AeOnnx.Anomaly;
using AeOnnx.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Tests.Commands;

/// <summary>
/// <c>aeonnx outliers --fpr/--threshold/--heatmaps</c> on tests/fixtures/one-class (a VAE trained on Trousers
/// only, calibrated; 200 normal and 180 anomalous test images): scores against the training side's
/// (scores.csv, computed in Python), the threshold recomputed from the manifest's calibration sample by the
/// documented rule, decisions, heatmap files and exit codes.
/// </summary>
public sealed class OutliersDecisionTests : IDisposable
{
    private static readonly string Fixture = OneClassFixture.Folder;
    private static readonly string FixtureModel = OneClassFixture.Model;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static List<Dictionary<string, string>> ReadReport(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    private static double Number(string cell) => double.Parse(cell, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Fpr_marks_the_images_above_the_calibrated_threshold_and_draws_a_heatmap_for_each()
    {
        var run = await CliRun.InProcessAsync(
            ["outliers", Path.Combine(Fixture, "anomalous"), Path.Combine(Fixture, "normal"), "--model", FixtureModel, "--fpr", "0.01", "--output", _temp["r.csv"], "--heatmaps", _temp["maps"]]);
        Assert.True(run.ExitCode == ExitCodes.AnomaliesFound, run.ToString());

        Assert.Equal("rank,path,status,reason,mse,psnr,mahalanobis,ssim,latent_knn,neg_elbo,combined,score,anomalous,heatmap", File.ReadLines(_temp["r.csv"]).First());
        var rows = ReadReport(_temp["r.csv"]);
        var python = OneClassFixture.PythonScoresByFullPath();
        Assert.Equal(380, rows.Count);
        Assert.Equal(python.Keys.Order(StringComparer.Ordinal), rows.Select(r => Path.GetFullPath(r["path"])).Order(StringComparer.Ordinal));

        var threshold = OneClassFixture.ThresholdFromManifest("combined", 0.01);
        int marked = 0, close = 0;
        var previous = double.PositiveInfinity;
        foreach (var row in rows)
        {
            var expected = python[Path.GetFullPath(row["path"])];
            foreach (var name in new[] { "mse", "ssim", "mahalanobis", "neg_elbo", "combined" })
            {
                var tolerance = OneClassFixture.Tolerance(name, expected[name]);
                Assert.True(Math.Abs(Number(row[name]) - expected[name]) <= tolerance, $"{row["path"]} {name}: {row[name]} vs Python {expected[name]}");
            }

            var score = Number(row["score"]);
            Assert.Equal(row["combined"], row["score"]);        // the calibrated default score ranks and decides
            Assert.True(score <= previous, "ranked most anomalous first");
            previous = score;
            if (Math.Abs(expected["combined"] - threshold) < 3e-3)
            {
                close++;                                          // within the two runtimes' rounding of the threshold
            }
            else
            {
                Assert.Equal(expected["combined"] > threshold ? "yes" : "no", row["anomalous"]);
            }

            var anomalous = row["anomalous"] == "yes";
            marked += anomalous ? 1 : 0;
            Assert.Equal(anomalous, row["heatmap"].Length > 0);
        }

        Assert.True(close <= 2, $"{close} images within rounding of the threshold");
        Assert.InRange(marked, 50, 180);
        Assert.Contains($"anomalous: {marked} of 380 images (combined > ", run.Out, StringComparison.Ordinal);
        Assert.Equal(
            rows.Where(r => r["anomalous"] == "yes").Select(r => r["heatmap"]).Order(StringComparer.Ordinal),
            Directory.GetFiles(_temp["maps"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // A heatmap is the library's rendering of that image: the image, its reconstruction, the error overlaid.
        var top = rows[0];
        Assert.Equal(Path.GetFileNameWithoutExtension(top["path"]) + ".png", top["heatmap"]);
        using var model = Autoencoder.Load(FixtureModel, new AutoencoderOptions { Device = Device.Cpu });
        var expectedPicture = AnomalyHeatmap.Render(model, model.ScoreAnomaly(top["path"]));
        using var written = Image.Load<Rgb24>(Path.Combine(_temp["maps"], top["heatmap"]));
        Assert.Equal((expectedPicture.Width, expectedPicture.Height), (written.Width, written.Height));
        var pixels = new byte[written.Width * written.Height * 3];
        written.CopyPixelDataTo(pixels);
        var differing = pixels.Zip(expectedPicture.Pixels.ToArray()).Count(p => Math.Abs(p.First - p.Second) > 1);
        Assert.True(differing == 0, $"{differing} heatmap bytes differ by more than 1");
    }

    [Fact]
    public async Task A_given_threshold_decides_by_the_chosen_score_and_none_above_it_exits_0()
    {
        var python = OneClassFixture.PythonScoresByFullPath();
        var threshold = python.Values.Select(s => s["mse"]).Order().ElementAt(300); // 79 images above it
        var t = threshold.ToString("R", CultureInfo.InvariantCulture);
        var run = await CliRun.InProcessAsync(
            ["outliers", Path.Combine(Fixture, "anomalous"), Path.Combine(Fixture, "normal"), "--model", FixtureModel, "--by", "mse", "--threshold", t, "--output", _temp["r.csv"]]);
        Assert.True(run.ExitCode == ExitCodes.AnomaliesFound, run.ToString());
        var rows = ReadReport(_temp["r.csv"]);
        foreach (var row in rows)
        {
            var mse = python[Path.GetFullPath(row["path"])]["mse"];
            Assert.Equal(row["mse"], row["score"]);
            if (Math.Abs(mse - threshold) > 1e-4 * threshold)
            {
                Assert.Equal(mse > threshold ? "yes" : "no", row["anomalous"]);
            }

            Assert.Equal(string.Empty, row["heatmap"]);
        }

        Assert.InRange(rows.Count(r => r["anomalous"] == "yes"), 78, 80);

        // Above every score: nothing marked, exit 0; without a rule the heatmaps show the top K.
        var none = await CliRun.InProcessAsync(
            ["outliers", Path.Combine(Fixture, "normal"), "--model", FixtureModel, "--by", "mse", "--threshold", "1", "--output", _temp["n.csv"]]);
        Assert.True(none.ExitCode == ExitCodes.Success, none.ToString());
        Assert.All(ReadReport(_temp["n.csv"]), r => Assert.Equal("no", r["anomalous"]));
        Assert.Contains("anomalous: 0 of 200 images", none.Out, StringComparison.Ordinal);

        var ranked = await CliRun.InProcessAsync(
            ["outliers", Path.Combine(Fixture, "normal"), "--model", FixtureModel, "--top", "3", "--output", _temp["k.csv"], "--heatmaps", _temp["top"]]);
        Assert.True(ranked.ExitCode == ExitCodes.Success, ranked.ToString());
        var k = ReadReport(_temp["k.csv"]);
        Assert.All(k, r => Assert.Equal(string.Empty, r["anomalous"]));
        Assert.Equal(k.Take(3).Select(r => r["heatmap"]).Order(StringComparer.Ordinal), Directory.GetFiles(_temp["top"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(k.Skip(3), r => Assert.Equal(string.Empty, r["heatmap"]));
    }

    [Theory]
    [InlineData("fashion-mnist-ae", new[] { "--fpr", "0.01" }, ExitCodes.Fatal, "has no anomaly calibration")]
    [InlineData("fashion-mnist-ae", new[] { "--by", "neg_elbo", "--threshold", "3" }, ExitCodes.Fatal, "cannot score --by neg_elbo: that needs a variational encoder")]
    [InlineData("fashion-mnist-ae", new[] { "--by", "combined" }, ExitCodes.Fatal, "cannot score --by combined")]
    [InlineData("one-class", new[] { "--by", "latent_knn" }, ExitCodes.Fatal, "cannot score --by latent_knn: that needs reference latents")]
    [InlineData("one-class", new[] { "--fpr", "0.01", "--threshold", "2" }, ExitCodes.Usage, "--fpr and --threshold are alternatives")]
    [InlineData("one-class", new[] { "--fpr", "1.5" }, ExitCodes.Usage, "--fpr must be between 0 and 1")]
    [InlineData("one-class", new[] { "--threshold", "NaN" }, ExitCodes.Usage, "--threshold must be a finite number")]
    [InlineData("one-class", new[] { "--by", "psnr" }, ExitCodes.Usage, "psnr")]
    public async Task A_decision_the_model_cannot_make_is_refused_before_any_output(string model, string[] options, int code, string message)
    {
        var folder = model == "one-class" ? FixtureModel : Repo.Model;
        var run = await CliRun.InProcessAsync(["outliers", Path.Combine(Fixture, "normal"), "--model", folder, .. options, "--output", _temp["r.csv"], "--heatmaps", _temp["maps"]]);
        Assert.True(run.ExitCode == code, run.ToString());
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp["r.csv"]));
        Assert.False(Directory.Exists(_temp["maps"]) && Directory.EnumerateFileSystemEntries(_temp["maps"]).Any());
    }
}
