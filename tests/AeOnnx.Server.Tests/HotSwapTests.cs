using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AeOnnx.Server.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>Swapping models while requests are in flight: by the admin endpoint under load, and by watching a pointer file.</summary>
public sealed class HotSwapTests : IDisposable
{
    private const string Token = "test-admin-token-0123456789abcdef";
    private readonly string _folder = Directory.CreateTempSubdirectory("aeonnx-swap-").FullName;

    [Fact]
    public async Task Thirty_swaps_under_64_concurrent_clients_fail_no_request_and_every_latent_comes_from_the_model_that_served_it()
    {
        string[] modelNames = ["fashion-mnist-ae", "tiny-rgb"];
        var images = Repo.Samples(4);

        // The reference: the core's latents for every image under each model, keyed by encoder SHA-256.
        var expected = new Dictionary<string, float[][]>();
        foreach (var name in modelNames)
        {
            using var core = Autoencoder.Load(Repo.Model(name), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });
            expected[core.Manifest.Encoder.Sha256] = images.Select(core.Encode).ToArray();
        }

        var pointer = Path.Combine(_folder, "current.txt");
        File.WriteAllText(pointer, Linked(modelNames[0]) + "\n");
        await using var server = await TestServer.StartAsync(pointer, o =>
        {
            o.AdminToken = Token;
            o.InferenceWorkers = 3; // several runs at once, on whichever model each batch leased
        });
        var responses = new ConcurrentBag<(int Image, string Sha, float[] Latent)>();
        var failures = new ConcurrentBag<string>();
        var answered = 0;
        using var stop = new CancellationTokenSource();

        async Task ClientAsync(int client)
        {
            for (var i = client; !stop.IsCancellationRequested; i++)
            {
                var image = i % images.Length;
                using var response = await server.Client.PostAsync("v1/encode", TestServer.Png(images[image]));
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{(int)response.StatusCode}: {text}");
                    continue;
                }

                var latent = TestServer.Latents(JsonDocument.Parse(text).RootElement.GetProperty("latents"))[0];
                responses.Add((image, response.Headers.GetValues("X-AeOnnx-Encoder-Sha256").Single(), latent));
                Interlocked.Increment(ref answered);
            }
        }

        var clients = Enumerable.Range(0, 64).Select(c => Task.Run(() => ClientAsync(c))).ToArray();
        for (var swap = 1; swap <= 30; swap++)
        {
            // Let some requests through on each model before swapping again.
            var seen = Volatile.Read(ref answered);
            await ErrorStatusTests.WaitUntilAsync(() => Volatile.Read(ref answered) >= seen + 32);
            File.WriteAllText(pointer, Linked(modelNames[swap % 2]) + "\n");
            using var reload = new HttpRequestMessage(HttpMethod.Post, "v1/admin/reload");
            reload.Headers.Authorization = new("Bearer", Token);
            using var reloaded = await server.Client.SendAsync(reload);
            var body = await TestServer.ReadJsonAsync(reloaded);
            Assert.Equal(swap, body.GetProperty("generation").GetInt32());
            Assert.Equal(modelNames[swap % 2], body.GetProperty("name").GetString());
        }

        var last = Volatile.Read(ref answered);
        await ErrorStatusTests.WaitUntilAsync(() => Volatile.Read(ref answered) >= last + 32);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        foreach (var (image, sha, latent) in responses)
        {
            Assert.True(expected.ContainsKey(sha), $"unknown encoder {sha}");
            Assertions.Close(expected[sha][image], latent);
        }

        Assert.Equal(2, responses.Select(r => r.Sha).Distinct().Count());
        var info = await TestServer.ReadJsonAsync(await server.Client.GetAsync("v1/model"));
        Assert.Equal(30, info.GetProperty("swaps").GetInt32());
        Assert.Contains("aeonnx_model_swaps_total 30", await server.Client.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task Watch_picks_up_a_rewritten_pointer_and_keeps_the_old_model_when_the_new_folder_is_refused()
    {
        var pointer = Path.Combine(_folder, "current.txt");
        File.WriteAllText(pointer, Linked("fashion-mnist-ae") + "\n");
        await using var server = await TestServer.StartAsync(pointer, o =>
        {
            o.Watch = true;
            o.WatchInterval = TimeSpan.FromMilliseconds(50);
        });

        File.WriteAllText(pointer, Linked("tiny-rgb") + "\n");
        await ErrorStatusTests.WaitUntilAsync(() => server.Server.Models.Current.Name == "tiny-rgb");

        // A folder whose decoder does not match the manifest's SHA-256 (an upload caught half-way).
        var broken = Path.Combine(_folder, "broken-model");
        Directory.CreateDirectory(broken);
        foreach (var file in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
        {
            File.Copy(Path.Combine(Repo.Model("fashion-mnist-ae"), file), Path.Combine(broken, file));
        }

        using (var decoder = File.OpenWrite(Path.Combine(broken, "decoder.onnx")))
        {
            decoder.SetLength(decoder.Length / 2);
        }

        File.WriteAllText(pointer, "broken-model\n");
        await ErrorStatusTests.WaitUntilAsync(() => server.Server.Models.LastRefusal?.FolderName == "broken-model");

        var info = await TestServer.ReadJsonAsync(await server.Client.GetAsync("v1/model"));
        Assert.Equal("tiny-rgb", info.GetProperty("name").GetString());
        Assert.Equal(1, info.GetProperty("generation").GetInt32());
        var refusal = info.GetProperty("lastRefusal");
        Assert.Equal("broken-model", refusal.GetProperty("folder").GetString());
        Assert.Contains("decoder", refusal.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_folder, info.GetRawText(), StringComparison.Ordinal);

        using var still = await server.Client.PostAsync("v1/encode", TestServer.Png(Repo.Samples(1)[0]));
        Assert.Equal(8, (await TestServer.ReadJsonAsync(still)).GetProperty("latentDim").GetInt32());
        Assert.Equal("tiny-rgb", still.Headers.GetValues("X-AeOnnx-Model").Single());
    }

    [Fact]
    public async Task A_pointer_caught_half_written_is_not_tried_until_two_looks_agree()
    {
        var pointer = Path.Combine(_folder, "current.txt");
        File.WriteAllText(pointer, Linked("fashion-mnist-ae") + "\n");
        using var models = new AeOnnx.Server.Hosting.ModelService(
            new AeOnnx.Hosting.ModelLocation(pointer),
            new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 },
            new ServerMetrics(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.False(await models.ReloadIfChangedAsync(CancellationToken.None));

        // The writer has truncated the pointer but not yet written the new name.
        File.WriteAllText(pointer, string.Empty);
        Assert.False(await models.ReloadIfChangedAsync(CancellationToken.None));

        // The next look sees the finished write: still one look, so nothing is tried yet...
        File.WriteAllText(pointer, Linked("tiny-rgb") + "\n");
        Assert.False(await models.ReloadIfChangedAsync(CancellationToken.None));
        Assert.Null(models.LastRefusal);
        Assert.Equal("fashion-mnist-ae", models.Current.Name);

        // ...and the one after agrees, so the new model is loaded: the empty file was never refused.
        Assert.True(await models.ReloadIfChangedAsync(CancellationToken.None));
        Assert.Null(models.LastRefusal);
        Assert.Equal("tiny-rgb", models.Current.Name);
        Assert.Equal(1, models.Swaps);
        Assert.False(await models.ReloadIfChangedAsync(CancellationToken.None));

        // A pointer left empty is refused once it has settled, and the refusal names the pointer file.
        File.WriteAllText(pointer, "# nothing here\n");
        Assert.False(await models.ReloadIfChangedAsync(CancellationToken.None));
        Assert.True(await models.ReloadIfChangedAsync(CancellationToken.None));
        Assert.Equal("current.txt", models.LastRefusal!.FolderName);
        Assert.Contains("an empty file", models.LastRefusal.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(_folder, models.LastRefusal.Reason, StringComparison.Ordinal);
        Assert.Equal("tiny-rgb", models.Current.Name);
    }

    [Fact]
    public async Task Watch_picks_up_a_complete_folder_moved_into_place()
    {
        static void CopyModel(string name, string destination)
        {
            Directory.CreateDirectory(destination);
            foreach (var file in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
            {
                File.Copy(Path.Combine(Repo.Model(name), file), Path.Combine(destination, file));
            }
        }

        var current = Path.Combine(_folder, "current");
        CopyModel("fashion-mnist-ae", current);
        await using var server = await TestServer.StartAsync(current, o =>
        {
            o.Watch = true;
            o.WatchInterval = TimeSpan.FromMilliseconds(50);
        });

        // The deployment pattern: stage the new folder beside, then swap it in with renames.
        var staged = Path.Combine(_folder, "staged");
        CopyModel("fashion-mnist-vae", staged);
        Directory.Move(current, Path.Combine(_folder, "previous"));
        Directory.Move(staged, current);
        await ErrorStatusTests.WaitUntilAsync(() => server.Server.Models.Current.Name == "fashion-mnist-vae");

        using var response = await server.Client.PostAsync("v1/encode", TestServer.Png(Repo.Samples(1)[0]));
        Assert.Equal("fashion-mnist-vae", response.Headers.GetValues("X-AeOnnx-Model").Single());
        Assert.Equal("1", response.Headers.GetValues("X-AeOnnx-Model-Generation").Single());
    }

    [Fact]
    public async Task The_admin_endpoint_wants_the_token_and_reports_a_refused_folder()
    {
        var pointer = Path.Combine(_folder, "current.txt");
        File.WriteAllText(pointer, Linked("fashion-mnist-vae") + "\n");
        await using var server = await TestServer.StartAsync(pointer, o => o.AdminToken = Token);

        using (var anonymous = await server.Client.PostAsync("v1/admin/reload", null))
        {
            await Assertions.ProblemAsync(anonymous, HttpStatusCode.Unauthorized, "A valid 'Authorization: Bearer <admin token>' header is required.");
        }

        using (var wrong = new HttpRequestMessage(HttpMethod.Post, "v1/admin/reload"))
        {
            wrong.Headers.Authorization = new("Bearer", Token + "x");
            using var response = await server.Client.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        File.WriteAllText(pointer, "no-such-model\n");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/admin/reload");
        request.Headers.Authorization = new("Bearer", Token);
        using var refused = await server.Client.SendAsync(request);
        var detail = await Assertions.ProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "Model folder 'no-such-model' was refused; still serving the previous model.");
        Assert.DoesNotContain(_folder, detail, StringComparison.Ordinal);
        Assert.Equal("fashion-mnist-vae", server.Server.Models.Current.Name);
    }

    [Fact]
    public async Task Reloading_an_unchanged_folder_is_not_a_swap()
    {
        var pointer = Path.Combine(_folder, "current.txt");
        File.WriteAllText(pointer, Linked("fashion-mnist-ae") + "\n");
        await using var server = await TestServer.StartAsync(pointer, o => o.AdminToken = Token);

        // Before: every reload counted as a swap, with a new generation, even of the same files.
        var same = await ReloadAsync(server);
        Assert.False(same.GetProperty("swapped").GetBoolean());
        Assert.Equal(0, same.GetProperty("generation").GetInt32());
        Assert.Equal(0, server.Server.Models.Swaps);

        File.WriteAllText(pointer, Linked("fashion-mnist-vae") + "\n");
        var changed = await ReloadAsync(server);
        Assert.True(changed.GetProperty("swapped").GetBoolean());
        Assert.Equal("fashion-mnist-vae", changed.GetProperty("name").GetString());
        Assert.Equal(1, changed.GetProperty("generation").GetInt32());
        Assert.Equal(1, server.Server.Models.Swaps);

        static async Task<System.Text.Json.JsonElement> ReloadAsync(TestServer server)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/admin/reload");
            request.Headers.Authorization = new("Bearer", Token);
            using var response = await server.Client.SendAsync(request);
            return await TestServer.ReadJsonAsync(response);
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A pointer names a folder inside its own folder: the shipped model, linked in there as an operator would.</summary>
    private string Linked(string model)
    {
        var link = Path.Combine(_folder, model);
        if (!Directory.Exists(link))
        {
            Directory.CreateSymbolicLink(link, Repo.Model(model));
        }

        return model;
    }
}
