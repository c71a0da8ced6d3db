using System.Net;
using AeOnnx.Server.Tests.Support;
using AeOnnx.Tests.Reliability;
using AeOnnx.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>
/// Ready means able to serve: a model is served (and /readyz says ready) only after it answered one
/// real request through the whole HTTP path, at start and before every swap; a model's name reaches
/// clients in a header encoding any name survives.
/// </summary>
public sealed class ReadinessTests : IDisposable
{
    private const string Token = "test-admin-token-0123456789abcdef";
    private const string Name = "modèle – ü 模型 \"x\"";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A copy of the shipped model in <c>_folder/&lt;sub&gt;</c>, its manifest edited.</summary>
    private string Model(string sub, string source = "fashion-mnist-ae", string? name = null, bool nanEncoder = false)
    {
        var folder = Path.Combine(_folder.Path, sub);
        Directory.CreateDirectory(folder);
        foreach (var file in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
        {
            File.Copy(Path.Combine(Repo.Model(source), file), Path.Combine(folder, file));
        }

        if (nanEncoder)
        {
            var encoder = Path.Combine(folder, "encoder.onnx");
            File.WriteAllBytes(encoder, OnnxSurgery.FillWithNaN(File.ReadAllBytes(encoder), "encoder.mean.bias"));
            TestModels.Rehash(folder);
        }

        if (name is not null)
        {
            TestModels.EditManifest(folder, m => m["name"] = name);
        }

        return folder;
    }

    private static async Task<HttpResponseMessage> ReloadAsync(TestServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/admin/reload");
        request.Headers.Authorization = new("Bearer", Token);
        return await server.Client.SendAsync(request);
    }

    private static async Task AssertEveryEndpointAnswersAsync(TestServer server, string name)
    {
        var image = Repo.Samples(2);
        var latent = Enumerable.Repeat(0.1f, 16).ToArray();
        var requests = new (string What, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("encode", () => server.Client.PostAsync("v1/encode", TestServer.Png(image[0]))),
            ("decode", () => server.Client.PostAsync("v1/decode", TestServer.Json(new { latents = new[] { latent } }))),
            ("reconstruct", () => server.Client.PostAsync("v1/reconstruct", TestServer.Png(image[0]))),
            ("reconstruct json", () => server.Client.PostAsync("v1/reconstruct?format=json", TestServer.Png(image[0]))),
            ("interpolate", () => server.Client.PostAsync("v1/interpolate?steps=2", TestServer.Multipart(image))),
            ("sample", () => server.Client.PostAsync("v1/sample", TestServer.Json(new { count = 2 }))),
            ("arithmetic", () => server.Client.PostAsync("v1/arithmetic", TestServer.Json(new { latent }))),
            ("map", () => server.Client.GetAsync("v1/map")),
            ("model", () => server.Client.GetAsync("v1/model")),
        };
        foreach (var (what, send) in requests)
        {
            using var response = await send();
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{what}: {(int)response.StatusCode} {text}");
            var header = response.Headers.GetValues("X-AeOnnx-Model").Single();
            Assert.True(header.All(char.IsAscii), $"{what}: header {header}");
            Assert.Equal(name, Uri.UnescapeDataString(header));
        }

        Assert.StartsWith("ready:", await server.Client.GetStringAsync("readyz"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_named_in_any_script_serves_every_endpoint_at_start_and_after_a_swap()
    {
        // Before the fix every /v1 answer was 500 (Kestrel refuses non-ASCII header values) while /readyz said ready.
        await using (var server = await TestServer.StartAsync(Model("named", name: Name)))
        {
            await AssertEveryEndpointAnswersAsync(server, Name);
        }

        Model("plain");
        Model("other", name: "ünïcode-2");
        var pointer = Path.Combine(_folder.Path, "current.txt");
        await File.WriteAllTextAsync(pointer, "plain\n");
        await using var swapping = await TestServer.StartAsync(pointer, o => o.AdminToken = Token);
        await File.WriteAllTextAsync(pointer, "other\n");
        using (var reloaded = await ReloadAsync(swapping))
        {
            Assert.Equal("ünïcode-2", (await TestServer.ReadJsonAsync(reloaded)).GetProperty("name").GetString());
            Assert.Equal("%C3%BCn%C3%AFcode-2", reloaded.Headers.GetValues("X-AeOnnx-Model").Single());
        }

        await AssertEveryEndpointAnswersAsync(swapping, "ünïcode-2");
    }

    [Fact]
    public async Task A_model_that_loads_but_cannot_answer_does_not_start_the_server()
    {
        // NaN weights load (weights are not run at load); every answer would be a refusal.
        var error = await Assert.ThrowsAsync<ModelLoadException>(() => TestServer.StartAsync(Model("nan", nanEncoder: true)));
        Assert.Equal("probe", error.Field);
        Assert.Contains("422", error.Message, StringComparison.Ordinal);
        Assert.Contains("non-finite", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_swap_to_a_model_that_cannot_answer_is_refused_and_the_old_model_serves_on()
    {
        Model("good");
        Model("nan", nanEncoder: true);
        var pointer = Path.Combine(_folder.Path, "current.txt");
        await File.WriteAllTextAsync(pointer, "good\n");
        await using var server = await TestServer.StartAsync(pointer, o => o.AdminToken = Token);

        await File.WriteAllTextAsync(pointer, "nan\n");
        using (var refused = await ReloadAsync(server))
        {
            // Before the fix the swap succeeded and every encode answered 500 while /readyz said ready.
            var detail = await Assertions.ProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "Model folder 'nan' was refused");
            Assert.Contains("probe", detail, StringComparison.Ordinal);
        }

        Assert.Equal(0, server.Server.Models.Current.Generation);
        Assert.Equal(0, server.Server.Models.Swaps);
        using var encoded = await server.Client.PostAsync("v1/encode", TestServer.Png(Repo.Samples(1)[0]));
        Assert.Equal(HttpStatusCode.OK, encoded.StatusCode);
        Assert.Equal("0", encoded.Headers.GetValues("X-AeOnnx-Model-Generation").Single());
        Assert.StartsWith("ready:", await server.Client.GetStringAsync("readyz"), StringComparison.Ordinal);

        // The probe requests are the server's own: they are not counted as client traffic.
        Assert.DoesNotContain("endpoint=\"/v1/reconstruct\"", await server.Client.GetStringAsync("metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_probe_header_from_outside_reaches_no_candidate()
    {
        await using var server = await TestServer.StartAsync(Model("good"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/encode") { Content = TestServer.Png(Repo.Samples(1)[0]) };
        request.Headers.Add("X-AeOnnx-Probe", new string('0', 64) + ":" + new string('0', 32));
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", response.Headers.GetValues("X-AeOnnx-Model-Generation").Single());
        Assert.Contains("aeonnx_requests_total{endpoint=\"/v1/encode\",status=\"200\"} 1", await server.Client.GetStringAsync("metrics"), StringComparison.Ordinal);
    }
}
