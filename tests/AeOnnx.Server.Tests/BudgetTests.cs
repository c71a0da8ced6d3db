using System.Collections.Concurrent;
using System.Net;
using AeOnnx.Server.Hosting;
using AeOnnx.Server.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Server.Tests;

/// <summary>
/// Budgets, not only timeouts: per-request limits on decoded and output pixels checked before any work,
/// a server-wide working-memory budget requests wait for, and a request that runs out of time stops
/// between images and frames. Asserted on events (what was decoded or rendered), never on time.
/// </summary>
public sealed class BudgetTests
{
    private static readonly string[] Images = Repo.Samples(20);

    /// <summary>A server whose work observer records every decoded and rendered image; <paramref name="hold"/> may block one until its handle is set.</summary>
    private static async Task<(TestServer Server, ConcurrentQueue<string> Events)> StartAsync(Action<ServerOptions>? configure = null, Func<string, int, CancellationToken, WaitHandle?>? hold = null)
    {
        var events = new ConcurrentQueue<string>();
        var started = false;
        var server = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"), o =>
        {
            configure?.Invoke(o);
            o.WorkObserver = (stage, index, token) =>
            {
                // The start-up probe (one image decoded and rendered) is not part of what the tests count.
                if (!Volatile.Read(ref started))
                {
                    return;
                }

                events.Enqueue($"{stage} {index}");

                // Wait for the request's own deadline or the test's release: an event, not a sleep.
                hold?.Invoke(stage, index, token)?.WaitOne(TimeSpan.FromSeconds(60));
            };
        });
        Volatile.Write(ref started, true);
        return (server, events);
    }

    [Fact]
    public async Task Images_over_the_requests_decoded_pixel_budget_are_refused_before_any_is_decoded()
    {
        // 20 images of 28×28 decode to 15,680 pixels.
        var (server, events) = await StartAsync(o => o.MaxDecodedPixelsPerRequest = 15_679);
        await using var scope = server;
        using (var refused = await server.Client.PostAsync("v1/encode", TestServer.Multipart(Images)))
        {
            await Assertions.ProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge, "The request's 20 image(s) decode to 15680 pixels; at most 15679 per request.");
        }

        Assert.Empty(events);
        using var admitted = await server.Client.PostAsync("v1/encode", TestServer.Multipart(Images[..19]));
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Equal(19, events.Count(e => e.StartsWith("decode", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_header_counts_not_the_bytes_a_tiny_file_of_many_pixels_is_refused_unread()
    {
        // 4000×4000 of one color: a few kilobytes of PNG, 16 megapixels once decoded.
        using var image = new Image<L8>(4000, 4000, new L8(200));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        Assert.True(stream.Length < 100_000, $"{stream.Length} bytes");
        var (server, events) = await StartAsync(o => o.MaxDecodedPixelsPerRequest = 10_000_000);
        await using var scope = server;
        var content = new ByteArrayContent(stream.ToArray());
        content.Headers.ContentType = new("image/png");
        using var refused = await server.Client.PostAsync("v1/reconstruct", content);
        await Assertions.ProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge, "decode to 16000000 pixels; at most 10000000 per request");
        Assert.Empty(events);
    }

    [Theory]
    [InlineData("v1/interpolate?format=gif&zoom=16", 2, "The answer would hold 51380224 pixels (frames × zoom²)")]
    [InlineData("v1/sample?count=256&zoom=16&columns=1", 0, "The answer would hold 52071304 pixels (count × zoom²)")]
    [InlineData("v1/decode?format=json&zoom=16", 84, "The answer would hold 16859136 pixels (latents × zoom²)")]
    public async Task Answers_over_the_output_pixel_budget_are_refused_before_any_work(string url, int latents, string reason)
    {
        // The cases: a 250-byte body asking for a 256-frame GIF at zoom 16 (7.8 s of CPU and
        // 2.7 GB at 8 at once before), a 115,202×452 grid of samples; and 84 latents as 448×448 data URLs.
        var (server, events) = await StartAsync();
        await using var scope = server;
        var zero = Enumerable.Repeat(0f, 16).ToArray();
        object body = url.Contains("interpolate", StringComparison.Ordinal)
            ? new { latents = new[] { zero, zero }, steps = 255 }
            : url.Contains("sample", StringComparison.Ordinal) ? new { count = 256 } : new { latents = Enumerable.Repeat(zero, latents).ToArray() };
        static string Runs(string metrics) => string.Join("\n", metrics.Split('\n').Where(l => l.StartsWith("aeonnx_batch_size_count", StringComparison.Ordinal)));
        var before = Runs(await server.Client.GetStringAsync("metrics"));
        using var response = await server.Client.PostAsync(url, TestServer.Json(body));
        await Assertions.ProblemAsync(response, HttpStatusCode.UnprocessableEntity, reason);
        Assert.Empty(events);
        Assert.Equal(before, Runs(await server.Client.GetStringAsync("metrics"))); // no model run either
    }

    [Fact]
    public async Task A_request_that_runs_out_of_time_stops_decoding_between_images()
    {
        // The first decoded image holds the request until its deadline passes; before the fix all 20
        // images were decoded and run anyway, and the 503 came after the work was done. 5 s, not 1, as for
        // rendering below: reading the 20-part body on a starved machine can outlast a second before any decode.
        var (server, events) = await StartAsync(o => o.RequestTimeout = TimeSpan.FromSeconds(5), hold: (stage, index, token) => stage == "decode" && index == 0 ? token.WaitHandle : null);
        await using var scope = server;
        using var response = await server.Client.PostAsync("v1/encode", TestServer.Multipart(Images));
        await Assertions.ProblemAsync(response, HttpStatusCode.ServiceUnavailable, "did not finish within 5 s");
        Assert.Equal(["decode 0"], events.ToArray());
    }

    [Fact]
    public async Task A_request_that_runs_out_of_time_stops_rendering_between_frames()
    {
        // 5 s, not 1: the frames must be decoded before the first one is rendered, and on a 2-core machine at
        // load 60 that alone took more than a second (the 503 came before the hold, and no frame was rendered).
        var (server, events) = await StartAsync(o => o.RequestTimeout = TimeSpan.FromSeconds(5), hold: (stage, index, token) => stage == "render" && index == 0 ? token.WaitHandle : null);
        await using var scope = server;
        var zero = Enumerable.Repeat(0f, 16).ToArray();
        using var response = await server.Client.PostAsync("v1/interpolate?format=gif", TestServer.Json(new { latents = new[] { zero, zero }, steps = 64 }));
        await Assertions.ProblemAsync(response, HttpStatusCode.ServiceUnavailable, "did not finish within 5 s");
        Assert.Equal(["render 0"], events.ToArray());
    }

    [Fact]
    public async Task Requests_wait_for_working_memory_in_turn_and_one_larger_than_the_budget_is_refused()
    {
        // Each reconstruction at zoom 16 (448×448) reserves about 2.4 MiB: one fits in 4 MiB, two do not.
        using var release = new ManualResetEvent(false);
        var first = 1;
        var (server, events) = await StartAsync(
            o => o.WorkingBytes = 4L << 20,
            hold: (stage, _, _) => stage == "decode" && Interlocked.Exchange(ref first, 0) == 1 ? release : null);
        await using var scope = server;

        var holding = server.Client.PostAsync("v1/reconstruct?zoom=16", TestServer.Png(Images[0]));
        await ErrorStatusTests.WaitUntilAsync(() => events.Contains("decode 0"));
        var budgets = server.Server.Budgets;
        var held = budgets.Working.InUse;
        Assert.InRange(held, 2L << 20, 4L << 20);

        // The second waits: nothing of it is decoded while the first holds the budget...
        var waiting = server.Client.PostAsync("v1/reconstruct?zoom=16", TestServer.Png(Images[1]));
        await ErrorStatusTests.WaitUntilAsync(() => budgets.Working.Waiting == 1);
        Assert.Equal(["decode 0"], events.ToArray());

        // ...a request larger than the whole budget is refused at once...
        using (var tooLarge = await server.Client.PostAsync("v1/reconstruct?zoom=16", TestServer.Multipart(Images[..2])))
        {
            await Assertions.ProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, "MiB of working memory; the server's whole budget is 4 MiB");
        }

        // ...and once the first has answered, the second runs.
        release.Set();
        using (var a = await holding)
        {
            Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        }

        using var b = await waiting;
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(["decode 0", "decode 0"], events.ToArray());
        await ErrorStatusTests.WaitUntilAsync(() => budgets.Working.InUse == 0);
    }
}
