using System.Net;
using System.Text.Json;
using AeOnnx.Server.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Server.Tests;

/// <summary>/v1/explore…: the map of an IDX set (300 images) and of a folder, against the core's own latents and pixels.</summary>
[Collection(ExplorerCollection.Name)]
public sealed class ExploreEndpointTests : IAsyncLifetime
{
    private const int Count = 300;
    private readonly string _folder = Directory.CreateTempSubdirectory("aeonnx-explore-").FullName;
    private Autoencoder _core = null!;
    private TestServer _server = null!;
    private byte[][] _pixels = null!;
    private int[] _labels = null!;

    public async Task InitializeAsync()
    {
        _core = Autoencoder.Load(Repo.Model("fashion-mnist-ae"), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });
        (var file, _pixels, _labels) = ExploreData.WriteIdx(_folder, Count, _core);
        _server = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"), o => o.ExplorePath = file);
        await ExploreData.WaitForMapAsync(_server.Client);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _core.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Status_names_the_set_and_the_models_class_labels()
    {
        var status = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("v1/explore"));
        Assert.Equal("ready", status.GetProperty("state").GetString());
        Assert.Equal("test-images-idx3-ubyte.gz", status.GetProperty("source").GetString());
        Assert.Equal(Count, status.GetProperty("points").GetInt32());
        Assert.Equal(0, status.GetProperty("skipped").GetInt32());
        Assert.Equal(_core.Classes.OrderBy(c => c.Index).Select(c => c.Label), status.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
    }

    [Fact]
    public async Task Every_point_carries_the_cores_latent_and_the_exact_pixels_of_its_image()
    {
        foreach (var index in new[] { 0, 7, 31, Count - 1 })
        {
            var point = await TestServer.ReadJsonAsync(await _server.Client.GetAsync($"v1/explore/points/{index}"));
            var expected = _core.Encode(_core.Images.ToTensor(new Imaging.ImageData(28, 28, Imaging.ImagePixelFormat.Gray8, _pixels[index])));
            Assertions.Close(expected, point.GetProperty("latent").EnumerateArray().Select(v => v.GetSingle()).ToArray());
            Assert.Equal(_labels[index], point.GetProperty("label").GetInt32());
            Assert.Equal(_core.Classes.Single(c => c.Index == _labels[index]).Label, point.GetProperty("labelName").GetString());
            Assert.Equal($"#{index}", point.GetProperty("name").GetString());

            // The thumbnail is the image as the model sees it: for a 28×28 gray IDX image, its own bytes.
            var png = Convert.FromBase64String(point.GetProperty("image").GetString()!["data:image/png;base64,".Length..]);
            using var image = Image.Load<L8>(png);
            Assert.Equal((28, 28), (image.Width, image.Height));
            var shown = new byte[28 * 28];
            image.CopyPixelDataTo(shown);
            Assert.Equal(_pixels[index], shown);
        }
    }

    [Fact]
    public async Task The_pca_map_holds_each_latents_projection_on_the_two_leading_principal_axes()
    {
        var pca = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("v1/explore/points?projection=pca"));
        var x = pca.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var y = pca.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(Count, x.Length);
        Assert.Equal(_labels, pca.GetProperty("label").EnumerateArray().Select(v => v.GetInt32()));

        // Independent check from the core's latents: centred coordinates, uncorrelated, and x's variance is the
        // largest of any unit direction (the top eigenvalue): no random direction beats it, nor y beats x.
        var latents = _pixels.Select(p => _core.Encode(_core.Images.ToTensor(new Imaging.ImageData(28, 28, Imaging.ImagePixelFormat.Gray8, p)))).ToArray();
        var d = _core.LatentDim;
        var mean = Enumerable.Range(0, d).Select(j => latents.Average(l => (double)l[j])).ToArray();
        double Variance(double[] v) => v.Select(a => a * a).Average() - Math.Pow(v.Average(), 2);
        Assert.True(Math.Abs(x.Average()) < 1e-3 && Math.Abs(y.Average()) < 1e-3);
        Assert.True(Math.Abs(x.Zip(y, (a, b) => a * b).Average()) < 1e-3 * Variance(x));
        Assert.True(Variance(x) >= Variance(y));
        var random = new Random(5);
        for (var trial = 0; trial < 200; trial++)
        {
            var direction = Enumerable.Range(0, d).Select(_ => random.NextDouble() - 0.5).ToArray();
            var norm = Math.Sqrt(direction.Sum(v => v * v));
            var projected = latents.Select(l => Enumerable.Range(0, d).Sum(j => (l[j] - mean[j]) * direction[j] / norm)).ToArray();
            Assert.True(Variance(projected) <= Variance(x) * (1 + 1e-4), $"direction {trial} has variance {Variance(projected)} > {Variance(x)}");
        }

        // The nonlinear map is a different layout of the same points, in the same order.
        var umap = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("v1/explore/points?projection=umap"));
        Assert.Equal(Count, umap.GetProperty("count").GetInt32());
        Assert.NotEqual(x, umap.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
        Assert.All(umap.GetProperty("x").EnumerateArray(), v => Assert.True(double.IsFinite(v.GetDouble())));
    }

    [Fact]
    public async Task Neighbours_of_an_uploaded_image_are_the_nearest_latents_and_a_sample_finds_itself_first()
    {
        var sample = ExploreData.Samples(_core)[3].Path;
        var query = _core.Encode(sample);
        var latents = _pixels.Select(p => _core.Encode(_core.Images.ToTensor(new Imaging.ImageData(28, 28, Imaging.ImagePixelFormat.Gray8, p)))).ToArray();
        var expected = latents.Select((l, i) => (i, Distance: Math.Sqrt(l.Zip(query, (a, b) => (double)(a - b) * (a - b)).Sum()))).OrderBy(t => t.Distance).Take(5).ToArray();

        using var response = await _server.Client.PostAsync("v1/explore/neighbors?k=5", TestServer.Png(sample));
        var result = await TestServer.ReadJsonAsync(response);
        var neighbors = result.GetProperty("neighbors").EnumerateArray().ToArray();
        Assert.Equal(expected.Select(e => e.i), neighbors.Select(n => n.GetProperty("index").GetInt32()));
        Assert.Equal(3, neighbors[0].GetProperty("index").GetInt32());
        for (var n = 0; n < 5; n++)
        {
            Assert.Equal(expected[n].Distance, neighbors[n].GetProperty("distance").GetDouble(), 3);
        }

        // On the PCA map the upload lands where its own image's point is.
        var point = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("v1/explore/points/3"));
        Assert.Equal(point.GetProperty("pca").GetProperty("x").GetDouble(), result.GetProperty("pca").GetProperty("x").GetDouble(), 3);
        Assert.Equal(point.GetProperty("pca").GetProperty("y").GetDouble(), result.GetProperty("pca").GetProperty("y").GetDouble(), 3);
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_a_problem_naming_the_fault()
    {
        var client = _server.Client;
        await Assertions.ProblemAsync(await client.GetAsync("v1/explore/points?projection=tsne"), HttpStatusCode.BadRequest, "projection must be 'pca' or 'umap'");
        await Assertions.ProblemAsync(await client.GetAsync("v1/explore/points/abc"), HttpStatusCode.BadRequest, "non-negative integer");
        await Assertions.ProblemAsync(await client.GetAsync("v1/explore/points/-1"), HttpStatusCode.BadRequest, "non-negative integer");
        await Assertions.ProblemAsync(await client.GetAsync($"v1/explore/points/{Count}"), HttpStatusCode.NotFound, $"there is no point {Count}");
        await Assertions.ProblemAsync(await client.GetAsync("v1/explore/points/99999999999"), HttpStatusCode.BadRequest, "non-negative integer");
        await Assertions.ProblemAsync(await client.GetAsync("v1/explore/points/1?zoom=99"), HttpStatusCode.UnprocessableEntity, "zoom must be between 1 and 16");
        var sample = Repo.Samples(1)[0];
        await Assertions.ProblemAsync(await client.PostAsync("v1/explore/neighbors?k=0", TestServer.Png(sample)), HttpStatusCode.UnprocessableEntity, "k must be between 1 and 32");
        await Assertions.ProblemAsync(await client.PostAsync("v1/explore/neighbors?k=33", TestServer.Png(sample)), HttpStatusCode.UnprocessableEntity, "k must be between 1 and 32");
        await Assertions.ProblemAsync(await client.PostAsync("v1/explore/neighbors", TestServer.Multipart(Repo.Samples(2))), HttpStatusCode.UnprocessableEntity, "Send one image");
        await Assertions.ProblemAsync(await client.PostAsync("v1/explore/neighbors", TestServer.Json(new { latents = new[] { 1 } })), HttpStatusCode.UnsupportedMediaType, "is not accepted here");
        using var broken = new ByteArrayContent([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
        broken.Headers.ContentType = new("image/png");
        var refused = await client.PostAsync("v1/explore/neighbors", broken);
        Assert.True((int)refused.StatusCode is >= 400 and < 500, $"a damaged PNG got {(int)refused.StatusCode}");
    }

    [Fact]
    public async Task A_server_without_an_explore_set_says_so_and_its_point_endpoints_are_404()
    {
        await using var server = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"));
        var status = await TestServer.ReadJsonAsync(await server.Client.GetAsync("v1/explore"));
        Assert.Equal("off", status.GetProperty("state").GetString());
        await Assertions.ProblemAsync(await server.Client.GetAsync("v1/explore/points"), HttpStatusCode.NotFound, "start it with --explore");
        await Assertions.ProblemAsync(await server.Client.GetAsync("v1/explore/points/0"), HttpStatusCode.NotFound, "start it with --explore");
        await Assertions.ProblemAsync(await server.Client.PostAsync("v1/explore/neighbors", TestServer.Png(Repo.Samples(1)[0])), HttpStatusCode.NotFound, "start it with --explore");
    }

    [Fact]
    public async Task A_folder_set_takes_labels_from_subfolders_and_skips_an_unreadable_file()
    {
        var root = Path.Combine(_folder, "photos");
        Directory.CreateDirectory(Path.Combine(root, "bags"));
        Directory.CreateDirectory(Path.Combine(root, "boots"));
        foreach (var sample in Repo.Samples(100).Where(s => Path.GetFileName(s).StartsWith("bag", StringComparison.Ordinal)))
        {
            File.Copy(sample, Path.Combine(root, "bags", Path.GetFileName(sample)));
        }

        foreach (var sample in Repo.Samples(100).Where(s => Path.GetFileName(s).StartsWith("boot", StringComparison.Ordinal)))
        {
            File.Copy(sample, Path.Combine(root, "boots", Path.GetFileName(sample)));
        }

        File.WriteAllBytes(Path.Combine(root, "boots", "broken.png"), [0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
        File.WriteAllText(Path.Combine(root, "notes.txt"), "not an image");

        await using var server = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"), o => o.ExplorePath = root);
        await ExploreData.WaitForMapAsync(server.Client);
        var status = await TestServer.ReadJsonAsync(await server.Client.GetAsync("v1/explore"));
        Assert.Equal(("photos", "folder", 7, 6, 1), (status.GetProperty("source").GetString(), status.GetProperty("sourceKind").GetString(), status.GetProperty("images").GetInt32(), status.GetProperty("points").GetInt32(), status.GetProperty("skipped").GetInt32()));
        var points = await TestServer.ReadJsonAsync(await server.Client.GetAsync("v1/explore/points?projection=pca"));
        Assert.Equal(["bags", "boots"], points.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(["bags/bag-00018.png", "bags/bag-00030.png", "bags/bag-00031.png", "boots/boot-00000.png", "boots/boot-00023.png", "boots/boot-00028.png"], points.GetProperty("name").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal([0, 0, 0, 1, 1, 1], points.GetProperty("label").EnumerateArray().Select(l => l.GetInt32()));
        var point = await TestServer.ReadJsonAsync(await server.Client.GetAsync("v1/explore/points/4"));
        Assertions.Close(_core.Encode(Path.Combine(root, "boots", "boot-00023.png")), point.GetProperty("latent").EnumerateArray().Select(v => v.GetSingle()).ToArray());
    }

    [Fact]
    public async Task An_explore_path_that_is_not_a_set_stops_the_start_with_the_reason()
    {
        var text = Path.Combine(_folder, "list.txt");
        File.WriteAllText(text, "no");
        var e = await Assert.ThrowsAsync<ArgumentException>(() => TestServer.StartAsync(Repo.Model("fashion-mnist-ae"), o => o.ExplorePath = text));
        Assert.Contains("give a folder of images or an IDX image file", e.Message, StringComparison.Ordinal);
        var empty = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;
        e = await Assert.ThrowsAsync<ArgumentException>(() => TestServer.StartAsync(Repo.Model("fashion-mnist-ae"), o => o.ExplorePath = empty));
        Assert.Contains("holds no image files", e.Message, StringComparison.Ordinal);
    }
}
