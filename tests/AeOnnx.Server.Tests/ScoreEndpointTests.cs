using System.Globalization;
using System.Net;
using System.Text.Json;
using AeOnnx.Anomaly;
using AeOnnx.Server.Tests.Support;
using AeOnnx.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Server.Tests;

/// <summary>
/// POST /v1/score on tests/fixtures/one-class (a VAE trained on Trousers only, calibrated on 600 held-out
/// Trousers): scores against the training side's (scores.csv, computed in Python), the calibrated threshold
/// recomputed from the manifest's sample by the documented rule, decisions, heatmaps against the core's, and
/// refusals before any work.
/// </summary>
public sealed class ScoreEndpointTests : IAsyncLifetime
{
    private static readonly string Fixture = OneClassFixture.Folder;
    private static readonly string FixtureModel = OneClassFixture.Model;
    private TestServer? _server;

    private HttpClient Client => _server!.Client;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(FixtureModel);

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    private static string[] Images(string folder, int count) => OneClassFixture.Images(folder).Take(count).ToArray();

    [Fact]
    public async Task Scores_and_decisions_match_the_training_side_and_the_calibrated_threshold()
    {
        var files = Images("anomalous", 12).Concat(Images("normal", 12)).ToArray();
        using var response = await Client.PostAsync("v1/score", TestServer.Multipart(files));
        var json = await TestServer.ReadJsonAsync(response);

        Assert.Equal("combined", json.GetProperty("score").GetString());
        var threshold = OneClassFixture.ThresholdFromManifest("combined", 0.01);
        var rule = json.GetProperty("threshold");
        Assert.Equal(threshold, rule.GetProperty("value").GetDouble(), 9);
        Assert.Equal(0.01, rule.GetProperty("falsePositiveRate").GetDouble());
        Assert.Equal(600, rule.GetProperty("calibrationImages").GetInt32());

        var python = OneClassFixture.PythonScoresByFullPath();
        var images = json.GetProperty("images").EnumerateArray().ToArray();
        Assert.Equal(files.Select(Path.GetFileName), images.Select(i => i.GetProperty("name").GetString()));
        var marked = 0;
        for (var i = 0; i < files.Length; i++)
        {
            var expected = python[Path.GetFullPath(files[i])];
            var scores = images[i].GetProperty("scores");
            foreach (var (name, value) in expected)
            {
                var actual = scores.GetProperty(name).GetDouble();
                Assert.True(Math.Abs(actual - value) <= OneClassFixture.Tolerance(name, value), $"{files[i]} {name}: service {actual}, Python {value}");
            }

            Assert.Equal(scores.GetProperty("combined").GetDouble(), images[i].GetProperty("score").GetDouble());
            var anomalous = images[i].GetProperty("anomalous").GetBoolean();
            if (Math.Abs(expected["combined"] - threshold) > 3e-3)
            {
                Assert.Equal(expected["combined"] > threshold, anomalous);
            }

            marked += anomalous ? 1 : 0;
            Assert.Equal(JsonValueKind.Null, images[i].GetProperty("heatmap").ValueKind);
        }

        Assert.Equal(marked, json.GetProperty("anomalies").GetInt32());
        Assert.InRange(marked, 4, 14);   // most of the 12 other-class images, hardly any of the 12 Trousers

        // Another score and a given threshold: the decision follows them.
        var mseThreshold = files.Select(f => python[Path.GetFullPath(f)]["mse"]).Order().ElementAt(17);
        using var byMse = await Client.PostAsync($"v1/score?score=mse&threshold={mseThreshold.ToString("R", CultureInfo.InvariantCulture)}", TestServer.Multipart(files));
        var mse = await TestServer.ReadJsonAsync(byMse);
        Assert.Equal("mse", mse.GetProperty("score").GetString());
        Assert.Equal(JsonValueKind.Null, mse.GetProperty("threshold").GetProperty("falsePositiveRate").ValueKind);
        Assert.InRange(mse.GetProperty("anomalies").GetInt32(), 5, 7);   // 6 above the 18th smallest, give or take rounding at it
    }

    [Fact]
    public async Task The_heatmap_is_the_cores_picture_of_the_image_reconstruction_and_error()
    {
        var file = Images("anomalous", 1)[0];
        using var core = Autoencoder.Load(FixtureModel, new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });
        var result = core.ScoreAnomaly(file, core.AnomalyThreshold(0.01));
        var expected = AnomalyHeatmap.Render(core, result);

        using var response = await Client.PostAsync("v1/score?format=png", TestServer.Png(file));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(result.IsAnomaly == true ? "true" : "false", response.Headers.GetValues("X-AeOnnx-Anomalous").Single());
        Assert.Equal("combined", response.Headers.GetValues("X-AeOnnx-Score-Name").Single());
        Assert.Equal(result.Score, double.Parse(response.Headers.GetValues("X-AeOnnx-Score").Single(), CultureInfo.InvariantCulture), 3);
        AssertPicture(expected, await response.Content.ReadAsByteArrayAsync());

        // JSON with heatmap=true: the same picture as a data URL.
        using var json = await Client.PostAsync("v1/score?heatmap=true", TestServer.Multipart(file));
        var url = (await TestServer.ReadJsonAsync(json)).GetProperty("images")[0].GetProperty("heatmap").GetString()!;
        Assert.StartsWith("data:image/png;base64,", url, StringComparison.Ordinal);
        AssertPicture(expected, Convert.FromBase64String(url["data:image/png;base64,".Length..]));
    }

    private static void AssertPicture(AeOnnx.Imaging.ImageData expected, byte[] png)
    {
        using var image = Image.Load<Rgb24>(png);
        Assert.Equal((expected.Width, expected.Height), (image.Width, image.Height));
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        var reference = expected.Pixels.ToArray();
        var differing = pixels.Where((b, i) => Math.Abs(b - reference[i]) > 1).Count();
        Assert.True(differing == 0, $"{differing} bytes differ by more than 1");
    }

    [Theory]
    [InlineData("v1/score?fpr=0.01&threshold=3", 1, HttpStatusCode.BadRequest, "fpr and threshold are alternatives")]
    [InlineData("v1/score?fpr=1.5", 1, HttpStatusCode.UnprocessableEntity, "fpr must be between 0 and 1")]
    [InlineData("v1/score?threshold=abc", 1, HttpStatusCode.BadRequest, "threshold must be a number")]
    [InlineData("v1/score?score=psnr", 1, HttpStatusCode.BadRequest, "score must be one of mse, ssim, mahalanobis, latent_knn, neg_elbo, combined")]
    [InlineData("v1/score?heatmap=maybe", 1, HttpStatusCode.BadRequest, "heatmap must be true or false")]
    [InlineData("v1/score?format=png", 2, HttpStatusCode.UnprocessableEntity, "format=png answers one image's heatmap; got 2 images")]
    [InlineData("v1/score?heatmap=true&zoom=16", 40, HttpStatusCode.UnprocessableEntity, "heatmaps × zoom²")]
    public async Task A_request_the_service_cannot_answer_is_refused_with_the_reason(string url, int images, HttpStatusCode status, string reason)
    {
        using var response = await Client.PostAsync(url, TestServer.Multipart(Images("normal", images)));
        await Assertions.ProblemAsync(response, status, reason);
    }

    [Fact]
    public async Task An_uncalibrated_model_scores_without_deciding_unless_given_a_threshold()
    {
        await using var plain = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"));
        var image = Repo.Samples(1)[0];
        using var response = await plain.Client.PostAsync("v1/score", TestServer.Png(image));
        var json = await TestServer.ReadJsonAsync(response);
        Assert.Equal("mse", json.GetProperty("score").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("threshold").ValueKind);
        var only = json.GetProperty("images")[0];
        Assert.Equal(JsonValueKind.Null, only.GetProperty("anomalous").ValueKind);
        Assert.Equal(
            new[] { "mahalanobis", "mse", "ssim" },
            only.GetProperty("scores").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        using var core = Autoencoder.Load(Repo.Model("fashion-mnist-ae"), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });
        Assert.Equal(core.Reconstruct(image).Error.Mse, only.GetProperty("score").GetDouble(), 6);

        using var given = await plain.Client.PostAsync("v1/score?threshold=0", TestServer.Png(image));
        Assert.True((await TestServer.ReadJsonAsync(given)).GetProperty("images")[0].GetProperty("anomalous").GetBoolean());

        using var fpr = await plain.Client.PostAsync("v1/score?fpr=0.01", TestServer.Png(image));
        await Assertions.ProblemAsync(fpr, HttpStatusCode.UnprocessableEntity, "has no anomaly calibration");
        using var elbo = await plain.Client.PostAsync("v1/score?score=neg_elbo&threshold=1", TestServer.Png(image));
        await Assertions.ProblemAsync(elbo, HttpStatusCode.UnprocessableEntity, "cannot compute the neg_elbo score: that needs a variational encoder");
    }
}
