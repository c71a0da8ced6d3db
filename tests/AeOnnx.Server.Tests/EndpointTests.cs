using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;
using AeOnnx.Imaging;
using AeOnnx.Latents;
using AeOnnx.Server.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Server.Tests;

/// <summary>Every endpoint's answer against the core library's own result for the same model and input.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class EndpointTests(ServedModelFixture fixture)
{
    private static readonly string[] Images = Repo.Samples(3);

    private HttpClient Client => fixture.Client;

    private Autoencoder Core => fixture.Core;

    [Fact]
    public async Task Encode_raw_png_returns_the_cores_latent_and_names_the_model()
    {
        using var response = await Client.PostAsync("v1/encode", TestServer.Png(Images[0]));
        var json = await TestServer.ReadJsonAsync(response);

        Assertions.Close(Core.Encode(Images[0]), TestServer.Latents(json.GetProperty("latents"))[0]);
        Assert.Equal(16, json.GetProperty("latentDim").GetInt32());
        Assert.Equal("fashion-mnist-ae", response.Headers.GetValues("X-AeOnnx-Model").Single());
        Assert.Equal(Core.Manifest.Encoder.Sha256, response.Headers.GetValues("X-AeOnnx-Encoder-Sha256").Single());
        Assert.Equal(Core.Manifest.Decoder.Sha256, response.Headers.GetValues("X-AeOnnx-Decoder-Sha256").Single());
    }

    [Fact]
    public async Task Encode_multipart_returns_one_latent_per_image_in_order()
    {
        using var response = await Client.PostAsync("v1/encode", TestServer.Multipart(Images));
        var json = await TestServer.ReadJsonAsync(response);

        var latents = TestServer.Latents(json.GetProperty("latents"));
        Assert.Equal(Images.Length, latents.Length);
        for (var i = 0; i < Images.Length; i++)
        {
            Assertions.Close(Core.Encode(Images[i]), latents[i]);
        }

        Assert.Equal(Images.Select(Path.GetFileName), json.GetProperty("names").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task Encode_with_npy_accept_returns_a_float32_matrix()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/encode") { Content = TestServer.Multipart(Images) };
        request.Headers.Accept.ParseAdd("application/x-npy");
        using var response = await Client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("application/x-npy", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0x93, bytes[0]);
        Assert.Equal("NUMPY", Encoding.ASCII.GetString(bytes, 1, 5));
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'shape': (3, 16)", header);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Equal(10 + headerLength + (3 * 16 * 4), bytes.Length);
        var second = Enumerable.Range(0, 16).Select(j => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(10 + headerLength + ((16 + j) * 4)))).ToArray();
        Assertions.Close(Core.Encode(Images[1]), second);
    }

    [Fact]
    public async Task Decode_one_latent_returns_the_cores_image_pixel_for_pixel()
    {
        var latent = Core.Encode(Images[0]);
        using var response = await Client.PostAsync("v1/decode", TestServer.Json(new { latents = new[] { latent } }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);

        using var served = Image.Load<Rgb24>(await response.Content.ReadAsByteArrayAsync());
        using var expected = ImageSharpInterop.ToRgb24(Core.DecodeImage(latent));
        AssertSamePixels(expected, served);
    }

    [Fact]
    public async Task Decode_many_latents_returns_a_grid_with_the_requested_columns()
    {
        var latents = Images.Select(Core.Encode).ToArray();
        using var response = await Client.PostAsync("v1/decode?zoom=2", TestServer.Json(new { latents, columns = 2 }));
        using var grid = Image.Load<Rgb24>(await response.Content.ReadAsByteArrayAsync());

        // 2 columns × 2 rows of 56-pixel cells with 2-pixel gaps.
        Assert.Equal((2 * (56 + 2)) + 2, grid.Width);
        Assert.Equal((2 * (56 + 2)) + 2, grid.Height);
    }

    [Fact]
    public async Task Reconstruct_returns_the_cores_reconstruction_and_error()
    {
        using var response = await Client.PostAsync("v1/reconstruct", TestServer.Png(Images[1]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = Core.Reconstruct(Images[1]);

        var mse = double.Parse(response.Headers.GetValues("X-AeOnnx-Mse").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var psnr = double.Parse(response.Headers.GetValues("X-AeOnnx-Psnr").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected.Error.Mse, mse, 1e-6);
        Assert.Equal(expected.Error.Psnr, psnr, 1e-3);
        using var served = Image.Load<Rgb24>(await response.Content.ReadAsByteArrayAsync());
        using var image = ImageSharpInterop.ToRgb24(Core.Images.ToImage(expected.Output));
        AssertSamePixels(image, served);
    }

    [Fact]
    public async Task Reconstruct_json_gives_per_image_metrics_latents_and_images()
    {
        using var response = await Client.PostAsync("v1/reconstruct?format=json", TestServer.Multipart(Images[0], Images[2]));
        var items = (await TestServer.ReadJsonAsync(response)).GetProperty("items").EnumerateArray().ToArray();

        Assert.Equal(2, items.Length);
        var expected = Core.Reconstruct(Images[2]);
        Assert.Equal(expected.Error.Mse, items[1].GetProperty("mse").GetDouble(), 1e-6);
        Assertions.Close(expected.Latent, items[1].GetProperty("latent").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        Assert.StartsWith("data:image/png;base64,", items[1].GetProperty("output").GetString());
    }

    [Theory]
    [InlineData("lerp", InterpolationMode.Linear)]
    [InlineData("slerp", InterpolationMode.Spherical)]
    public async Task Interpolate_images_follows_the_cores_path(string mode, InterpolationMode expectedMode)
    {
        using var response = await Client.PostAsync($"v1/interpolate?steps=4&mode={mode}&format=frames", TestServer.Multipart(Images[0], Images[1]));
        var json = await TestServer.ReadJsonAsync(response);

        var keys = new[] { Core.Encode(Images[0]), Core.Encode(Images[1]) };
        var expected = LatentMath.Path(keys, 4, expectedMode);
        var served = TestServer.Latents(json.GetProperty("latents"));
        Assert.Equal(5, served.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assertions.Close(expected[i], served[i]);
        }

        Assert.Equal(5, json.GetProperty("frames").GetArrayLength());
    }

    [Fact]
    public async Task Interpolate_latents_as_gif_has_one_frame_per_step()
    {
        var keys = Images.Select(Core.Encode).ToArray();
        using var response = await Client.PostAsync("v1/interpolate?format=gif", TestServer.Json(new { latents = keys, steps = 3, mode = "lerp" }));
        Assert.Equal("image/gif", response.Content.Headers.ContentType?.MediaType);

        using var gif = Image.Load<Rgb24>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((2 * 3) + 1, gif.Frames.Count);
        Assert.Equal(28 * 4, gif.Width);
    }

    [Fact]
    public async Task Sample_from_fitted_or_prior_on_a_vae_and_an_autoencoder_without_a_prior_is_refused()
    {
        await using var vae = await TestServer.StartAsync(Repo.Model("fashion-mnist-vae"));
        using var core = Autoencoder.Load(Repo.Model("fashion-mnist-vae"), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });
        var fitted = new LatentGaussian(core.Manifest.Latent.Mean!, core.Manifest.Latent.Cholesky!).Sample(3, 5);
        var prior = LatentGaussian.Standard(16).Sample(3, 5);

        foreach (var (from, expected, source) in new[] { ("auto", fitted, "training-set latent Gaussian"), ("fitted", fitted, "training-set latent Gaussian"), ("prior", prior, "prior N(0, I)") })
        {
            using var response = await vae.Client.PostAsync("v1/sample?format=json", TestServer.Json(new { count = 3, seed = 5, from }));
            var json = await TestServer.ReadJsonAsync(response);
            Assert.Equal(source, json.GetProperty("source").GetString());
            var served = TestServer.Latents(json.GetProperty("latents"));
            for (var i = 0; i < 3; i++)
            {
                Assertions.Close(expected[i], served[i], 1e-6);
            }
        }

        var info = await TestServer.ReadJsonAsync(await vae.Client.GetAsync("v1/model"));
        Assert.Equal("training-set latent Gaussian", info.GetProperty("samplingSource").GetString());

        using (var query = await vae.Client.PostAsync("v1/sample?format=json&count=1&seed=5&from=prior", null))
        {
            Assertions.Close(prior[0], TestServer.Latents((await TestServer.ReadJsonAsync(query)).GetProperty("latents"))[0], 1e-6);
        }

        using (var bad = await vae.Client.PostAsync("v1/sample?from=posterior", null))
        {
            await Assertions.ProblemAsync(bad, HttpStatusCode.BadRequest, "from must be 'auto', 'fitted' or 'prior', got 'posterior'.");
        }

        using var refused = await Client.PostAsync("v1/sample?from=prior", null);
        await Assertions.ProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "Model 'fashion-mnist-ae' is a plain autoencoder: it has no prior to sample from (sample from the fitted latent Gaussian instead).");
    }

    [Fact]
    public async Task Sample_draws_the_cores_samples_and_temperature_zero_gives_the_mean()
    {
        using var response = await Client.PostAsync("v1/sample?format=json", TestServer.Json(new { count = 4, seed = 7, temperature = 1.0 }));
        var served = TestServer.Latents((await TestServer.ReadJsonAsync(response)).GetProperty("latents"));
        var expected = Core.SampleLatents(4, 7);
        for (var i = 0; i < 4; i++)
        {
            Assertions.Close(expected[i], served[i], 1e-6);
        }

        using var cold = await Client.PostAsync("v1/sample?format=json&count=2&temperature=0", null);
        var mean = Core.SamplingDistribution!.GetMean();
        foreach (var latent in TestServer.Latents((await TestServer.ReadJsonAsync(cold)).GetProperty("latents")))
        {
            Assertions.Close(mean, latent, 1e-6);
        }

        using var png = await Client.PostAsync("v1/sample?count=9", null);
        using var grid = Image.Load<Rgb24>(await png.Content.ReadAsByteArrayAsync());
        Assert.Equal((3 * (28 + 2)) + 2, grid.Width);
    }

    [Fact]
    public async Task Arithmetic_adds_class_directions_from_the_manifest()
    {
        using var response = await Client.PostAsync("v1/arithmetic", TestServer.Json(new
        {
            @class = "Sneaker",
            terms = new object[] { new { @class = "Sandal", weight = 0.5 }, new { latent = Enumerable.Repeat(1f, 16).ToArray(), weight = -2.0 } },
        }));
        var json = await TestServer.ReadJsonAsync(response);

        // Independently from the manifest file: sneaker + 0.5 (sandal - latent mean) - 2 · 1.
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Model("fashion-mnist-ae"), "manifest.json")));
        var latentSpec = manifest.RootElement.GetProperty("latent");
        float[] Centroid(string label) => latentSpec.GetProperty("classes").EnumerateArray()
            .Single(c => c.GetProperty("label").GetString() == label).GetProperty("centroid").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var mean = latentSpec.GetProperty("mean").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var sneaker = Centroid("Sneaker");
        var sandal = Centroid("Sandal");
        var expected = sneaker.Select((s, i) => s + (0.5f * (sandal[i] - mean[i])) - 2f).ToArray();
        Assertions.Close(expected, json.GetProperty("latent").EnumerateArray().Select(v => v.GetSingle()).ToArray(), 1e-5);
        Assert.StartsWith("data:image/png;base64,", json.GetProperty("image").GetString());
    }

    [Fact]
    public async Task Map_projects_class_centroids_on_two_orthonormal_components()
    {
        var json = await TestServer.ReadJsonAsync(await Client.GetAsync("v1/map"));

        var components = TestServer.Latents(json.GetProperty("components"));
        var mean = json.GetProperty("mean").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(1.0, LatentMath.Dot(components[0], components[0]), 1e-4);
        Assert.Equal(1.0, LatentMath.Dot(components[1], components[1]), 1e-4);
        Assert.Equal(0.0, LatentMath.Dot(components[0], components[1]), 1e-4);
        var points = json.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(Core.Classes.Count, points.Length);

        // x is the projection on the first component, and the first component carries the most spread.
        var xs = points.Select(p => p.GetProperty("x").GetDouble()).ToArray();
        var ys = points.Select(p => p.GetProperty("y").GetDouble()).ToArray();
        for (var i = 0; i < points.Length; i++)
        {
            var centered = Core.Classes[i].Centroid.Select((v, j) => v - mean[j]).ToArray();
            Assert.Equal(LatentMath.Dot(centered, components[0]), xs[i], 1e-3);
        }

        Assert.True(xs.Sum(x => x * x) >= ys.Sum(y => y * y));
    }

    [Fact]
    public async Task Model_health_readiness_metrics_and_openapi_answer()
    {
        var model = await TestServer.ReadJsonAsync(await Client.GetAsync("v1/model"));
        Assert.Equal("fashion-mnist-ae", model.GetProperty("name").GetString());
        Assert.Equal(16, model.GetProperty("latentDim").GetInt32());
        Assert.Equal(Core.Manifest.Encoder.Sha256, model.GetProperty("encoderSha256").GetString());
        Assert.Equal(10, model.GetProperty("classes").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("lastRefusal").ValueKind);
        Assert.DoesNotContain(Repo.Root, model.GetRawText(), StringComparison.Ordinal);

        Assert.Equal("ok\n", await Client.GetStringAsync("healthz"));
        Assert.StartsWith("ready: fashion-mnist-ae", await Client.GetStringAsync("readyz"));

        using (await Client.PostAsync("v1/encode", TestServer.Png(Images[0])))
        {
        }

        var metrics = await Client.GetStringAsync("metrics");
        Assert.Contains("aeonnx_requests_total{endpoint=\"/v1/encode\",status=\"200\"}", metrics);
        Assert.Contains("aeonnx_request_duration_seconds_bucket{endpoint=\"/v1/encode\"", metrics);
        Assert.Contains("aeonnx_batch_size_count{operation=\"encode\"}", metrics);
        Assert.Contains("aeonnx_model_generation 0", metrics);
        Assert.Contains("aeonnx_model_swaps_total 0", metrics);

        var openApi = JsonDocument.Parse(await Client.GetStringAsync("openapi/v1.json")).RootElement;
        var paths = openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var path in new[] { "/v1/encode", "/v1/decode", "/v1/reconstruct", "/v1/interpolate", "/v1/sample", "/v1/arithmetic", "/v1/model", "/healthz", "/readyz" })
        {
            Assert.Contains(path, paths);
        }
    }

    [Fact]
    public async Task Explorer_page_and_its_files_are_served_and_nothing_else()
    {
        using var page = await Client.GetAsync("");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>", await page.Content.ReadAsStringAsync());
        using var script = await Client.GetAsync("explorer/explorer.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);

        using var missing = await Client.GetAsync("explorer/manifest.json");
        await Assertions.ProblemAsync(missing, HttpStatusCode.NotFound, "no file 'manifest.json'");
        using var traversal = await Client.GetAsync("explorer/..%2F..%2Fmodels%2Ffashion-mnist-ae%2Fmanifest.json");
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);
    }

    private static void AssertSamePixels(Image<Rgb24> expected, Image<Rgb24> actual)
    {
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.Height, actual.Height);
        for (var y = 0; y < expected.Height; y++)
        {
            for (var x = 0; x < expected.Width; x++)
            {
                Assert.Equal(expected[x, y], actual[x, y]);
            }
        }
    }
}
