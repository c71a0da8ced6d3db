using System.Net;
using System.Net.Http.Headers;
using AeOnnx.Imaging;
using AeOnnx.Server.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>Every refusal is a problem document with the right status and a reason, never a stack trace.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class ErrorStatusTests(ServedModelFixture fixture)
{
    private static readonly string Image = Repo.Samples(1)[0];

    private HttpClient Client => fixture.Client;

    [Theory]
    [InlineData("v1/decode", "{\"latents\": [[1, 2", "The JSON body is malformed")]
    [InlineData("v1/decode", "{\"latents\": \"no\"}", "The JSON body is malformed")]
    [InlineData("v1/interpolate?mode=cubic", "{\"latents\": [[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]]}", "mode must be 'lerp' or 'slerp', got 'cubic'")]
    [InlineData("v1/sample?count=abc", "{}", "count must be an integer, got 'abc'")]
    [InlineData("v1/sample?format=bmp", "{}", "format must be one of png, json; got 'bmp'")]
    public async Task Malformed_requests_are_400(string url, string body, string reason)
    {
        using var response = await Client.PostAsync(url, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await Assertions.ProblemAsync(response, HttpStatusCode.BadRequest, reason);
    }

    [Fact]
    public async Task An_empty_image_body_is_400()
    {
        var empty = new ByteArrayContent([]);
        empty.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var response = await Client.PostAsync("v1/encode", empty);
        await Assertions.ProblemAsync(response, HttpStatusCode.BadRequest, "The request body is empty");
    }

    [Fact]
    public async Task Wrong_content_types_are_415()
    {
        using var text = await Client.PostAsync("v1/encode", new StringContent("hello"));
        await Assertions.ProblemAsync(text, HttpStatusCode.UnsupportedMediaType, "Content-Type 'text/plain; charset=utf-8' is not accepted here");

        var notAnImage = new ByteArrayContent("definitely not a PNG"u8.ToArray());
        notAnImage.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var garbage = await Client.PostAsync("v1/encode", notAnImage);
        await Assertions.ProblemAsync(garbage, HttpStatusCode.UnsupportedMediaType, "The body (labelled 'image/png') is not a PNG, JPEG");

        using var imageToJsonEndpoint = await Client.PostAsync("v1/decode", TestServer.Png(Image));
        await Assertions.ProblemAsync(imageToJsonEndpoint, HttpStatusCode.UnsupportedMediaType, "send application/json");
    }

    [Fact]
    public async Task Unusable_content_is_422()
    {
        using var shortLatent = await Client.PostAsync("v1/decode", TestServer.Json(new { latents = new[] { new[] { 1f, 2f, 3f } } }));
        await Assertions.ProblemAsync(shortLatent, HttpStatusCode.UnprocessableEntity, "latents[0] has 3 values; model 'fashion-mnist-ae' expects 16.");

        using var noLatents = await Client.PostAsync("v1/decode", TestServer.Json(new { latents = Array.Empty<float[]>() }));
        await Assertions.ProblemAsync(noLatents, HttpStatusCode.UnprocessableEntity, "'latents' is missing");

        var bytes = File.ReadAllBytes(Image);
        var truncated = new ByteArrayContent(bytes[..(bytes.Length / 2)]);
        truncated.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var corrupt = await Client.PostAsync("v1/encode", truncated);
        await Assertions.ProblemAsync(corrupt, HttpStatusCode.UnprocessableEntity, "Image 'image 1':");

        using var oneImage = await Client.PostAsync("v1/interpolate", TestServer.Multipart(Image));
        await Assertions.ProblemAsync(oneImage, HttpStatusCode.UnprocessableEntity, "Interpolation needs two or more images; got 1.");

        using var unknownClass = await Client.PostAsync("v1/arithmetic", TestServer.Json(new { @class = "Hat" }));
        await Assertions.ProblemAsync(unknownClass, HttpStatusCode.UnprocessableEntity, "Model 'fashion-mnist-ae' has no class 'Hat' (known: T-shirt/top, Trouser");

        using var tooMany = await Client.PostAsync("v1/sample", TestServer.Json(new { count = 100000 }));
        await Assertions.ProblemAsync(tooMany, HttpStatusCode.UnprocessableEntity, "count must be between 1 and 256, got 100000.");

        using var hot = await Client.PostAsync("v1/sample", TestServer.Json(new { temperature = 50 }));
        await Assertions.ProblemAsync(hot, HttpStatusCode.UnprocessableEntity, "temperature must be between 0 and 10, got 50.");
    }

    [Fact]
    public async Task Unknown_routes_methods_and_a_disabled_admin_endpoint_are_404_or_405()
    {
        using var route = await Client.GetAsync("v1/nothing");
        await Assertions.ProblemAsync(route, HttpStatusCode.NotFound, "No endpoint at GET /v1/nothing");

        using var method = await Client.GetAsync("v1/encode");
        await Assertions.ProblemAsync(method, HttpStatusCode.MethodNotAllowed, "GET is not allowed on /v1/encode.");

        using var admin = await Client.PostAsync("v1/admin/reload", null);
        await Assertions.ProblemAsync(admin, HttpStatusCode.NotFound, "The admin endpoint is disabled");
    }

    [Fact]
    public async Task Bodies_over_the_limit_and_images_over_the_cores_pixel_limit_are_413()
    {
        await using var server = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"), o =>
        {
            o.MaxBodyBytes = 4096;
            o.ModelOptions = new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1, ImageLimits = new ImageLimits { MaxPixels = 500 } };
        });

        var big = new ByteArrayContent(new byte[10_000]);
        big.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var raw = await server.Client.PostAsync("v1/encode", big);
        await Assertions.ProblemAsync(raw, HttpStatusCode.RequestEntityTooLarge, "The body is 10000 bytes; the limit is 4096.");

        var form = new MultipartFormDataContent { { new ByteArrayContent(new byte[10_000]), "images", "big.png" } };
        using var multipart = await server.Client.PostAsync("v1/encode", form);
        await Assertions.ProblemAsync(multipart, HttpStatusCode.RequestEntityTooLarge, "the limit is 4096");

        // Chunked upload (no Content-Length): the limit holds while reading.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "v1/decode") { Content = new StreamContent(new MemoryStream(new byte[10_000])) };
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        using var streamed = await server.Client.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);

        // 28 × 28 = 784 pixels over a 500-pixel limit: the core refuses before decoding.
        using var pixels = await server.Client.PostAsync("v1/encode", TestServer.Png(Image));
        await Assertions.ProblemAsync(pixels, HttpStatusCode.RequestEntityTooLarge, "Image 'image 1':");
    }

    [Fact]
    public async Task A_full_queue_and_the_concurrency_limit_are_429()
    {
        await using var server = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"), o =>
        {
            o.QueueCapacity = 2;
            o.MaxConcurrentRequests = 2;
        });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Server.Batcher.Gate = gate;

        var first = server.Client.PostAsync("v1/encode", TestServer.Png(Image));
        await WaitUntilAsync(() => server.Server.Batcher.Pending == 1);

        using (var overQueue = await server.Client.PostAsync("v1/encode", TestServer.Multipart(Image, Image)))
        {
            await Assertions.ProblemAsync(overQueue, HttpStatusCode.TooManyRequests, "The inference queue is full (2 rows waiting)");
        }

        var second = server.Client.PostAsync("v1/encode", TestServer.Png(Image));
        await WaitUntilAsync(() => server.Server.Batcher.Pending == 2);
        using (var overConcurrency = await server.Client.GetAsync("v1/model"))
        {
            await Assertions.ProblemAsync(overConcurrency, HttpStatusCode.TooManyRequests, "The server is handling its limit of 2 requests");
        }

        // Health checks stay outside the API limit: a busy server is still alive.
        Assert.Equal("ok\n", await server.Client.GetStringAsync("healthz"));

        gate.SetResult();
        using var a = await first;
        using var b = await second;
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
    }

    [Fact]
    public async Task A_request_over_its_time_limit_is_503_and_its_work_is_dropped()
    {
        await using var server = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"), o => o.RequestTimeout = TimeSpan.FromSeconds(1));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Server.Batcher.Gate = gate;

        using (var slow = await server.Client.PostAsync("v1/encode", TestServer.Png(Image)))
        {
            await Assertions.ProblemAsync(slow, HttpStatusCode.ServiceUnavailable, "The request did not finish within 1 s");
        }

        server.Server.Batcher.Gate = null;
        gate.SetResult();
        using var next = await server.Client.PostAsync("v1/encode", TestServer.Png(Image));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(0, server.Server.Batcher.Pending);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        // A bounded wait for a state, not a timing assertion: fails only if the state never comes.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the awaited state never came");
            await Task.Delay(5);
        }
    }
}
