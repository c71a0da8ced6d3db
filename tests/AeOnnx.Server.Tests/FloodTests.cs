using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AeOnnx.Server.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace AeOnnx.Server.Tests;

/// <summary>
/// The worst requests the API admits, at the documented concurrency, against <c>aeonnx serve</c> in
/// a child process whose GC heap is capped as the pod's memory is (DOTNET_GCHeapHardLimit, server GC
/// as in deploy/Dockerfile): no OOM, no 500, every answer one of the documented refusals, and the
/// resident memory back under the limit afterwards. Scaled down to run in seconds (the budgets
/// scale with the limit through the same options); <c>AEONNX_STRESS=1</c> runs the shipped figures:
/// a 1 GiB limit, the default budgets and 512 concurrent requests.
/// </summary>
public sealed class FloodTests(ITestOutputHelper output)
{
    private static readonly bool Stress = Environment.GetEnvironmentVariable("AEONNX_STRESS") == "1";

    [Fact]
    public async Task The_worst_admitted_requests_at_full_concurrency_stay_inside_the_memory_limit()
    {
        // Scaled: a 256 MiB limit, budgets an eighth of the shipped ones, 64 concurrent requests.
        var limit = Stress ? 1L << 30 : 256L << 20;
        var concurrency = Stress ? 512 : 64;
        var rounds = Stress ? 2 : 1;
        string[] budgets = Stress
            ? []
            : ["--max-body-mb", "2", "--body-buffer-mb", "16", "--working-mb", "48", "--max-request-pixels", "8000000", "--max-output-pixels", "1048576"];
        var maxRequestPixels = Stress ? 100_000_000L : 8_000_000L;
        var maxOutputPixels = Stress ? 1L << 24 : 1_048_576L;

        await using var server = await ChildServer.StartAsync(Repo.Model("fashion-mnist-ae"), limit, ["--max-concurrent", concurrency.ToString(CultureInfo.InvariantCulture), "--timeout-s", "20", .. budgets], output);

        // Large-pixel images that compress to almost nothing: the decode, not the upload, is the cost.
        var side = (int)Math.Sqrt(maxRequestPixels / 8.0);
        var big = Png(side, side);
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        var zoomGif = (int)Math.Sqrt(maxOutputPixels / 256.0) / 28;
        var zoomGrid = Math.Max(1, zoomGif - 1);
        Func<HttpRequestMessage>[] worst =
        [
            // Eight images that decode to just under the request's pixel budget.
            () => Post("v1/encode", Multipart(Enumerable.Repeat(big, 8))),
            () => Post("v1/reconstruct?format=json", Multipart(Enumerable.Repeat(big, 4))),

            // Answers just under the output budget: a 256-frame GIF, a one-column grid of 256 samples, 256 data URLs.
            () => Post($"v1/interpolate?format=gif&zoom={zoomGif}", Json(new { latents = new[] { Latent(0.5f), Latent(-0.5f) }, steps = 255, mode = "slerp" })),
            () => Post($"v1/sample?count=256&zoom={zoomGrid}&columns=1", Json(new { count = 256, temperature = 10 })),
            () => Post($"v1/decode?format=json&zoom={zoomGif}", Json(new { latents = Enumerable.Range(0, 256).Select(i => Latent(i / 256f)).ToArray() })),

            // Bodies at the byte limit: not an image; and JSON that parses into the most floats.
            () => Post("v1/encode", Raw(new byte[(server.MaxBodyMb << 20) - 1024], "image/png")),
            () => Post("v1/decode", Raw(Encoding.ASCII.GetBytes("{\"latents\":[[" + string.Join(",", Enumerable.Repeat("0", ((server.MaxBodyMb << 20) - 64) / 2)) + "]]}"), "application/json")),

            // Over the limits: refused before any work.
            () => Post("v1/encode", Multipart(Enumerable.Repeat(big, 9))),
            () => Post($"v1/interpolate?format=gif&zoom={zoomGif + 1}", Json(new { latents = new[] { Latent(0.5f), Latent(-0.5f) }, steps = 255 })),
        ];

        var peakRss = 0L;
        for (var round = 0; round < rounds; round++)
        {
            var requests = Enumerable.Range(0, concurrency).Select(async i =>
            {
                using var request = worst[(i + round) % worst.Length]();
                try
                {
                    using var response = await server.Client.SendAsync(request);
                    var status = (int)response.StatusCode;
                    statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                    if (status is not (200 or 413 or 415 or 422 or 429 or 503))
                    {
                        failures.Enqueue($"{request.RequestUri}: {status} {await response.Content.ReadAsStringAsync()}");
                    }
                }
                catch (HttpRequestException e)
                {
                    failures.Enqueue($"{request.RequestUri}: {e.Message} {e.InnerException?.Message} (server alive: {!server.Process.HasExited})");
                }
            }).ToList();
            var sampling = Task.Run(async () =>
            {
                while (!requests.All(r => r.IsCompleted))
                {
                    peakRss = Math.Max(peakRss, server.Rss());
                    await Task.Delay(20);
                }
            });
            await Task.WhenAll(requests);
            await sampling;
        }

        output.WriteLine(string.Join("\n", server.Log.Split('\n').TakeLast(30)));
        Assert.False(server.Process.HasExited, $"the server exited (code {(server.Process.HasExited ? server.Process.ExitCode : 0)}): {server.Log}");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        Assert.True(statuses.GetValueOrDefault(200) > 0 && statuses.GetValueOrDefault(413) > 0 && statuses.GetValueOrDefault(422) > 0, string.Join(", ", statuses));

        // After the burst: the server gives memory back (a compacting collection once its budgets are idle).
        var afterBurst = server.Rss();
        await ErrorStatusTests.WaitUntilAsync(() => server.Log.Contains("returned memory after a burst", StringComparison.Ordinal));
        var after = server.Rss();
        using (var health = await server.Client.GetAsync("healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        output.WriteLine($"limit {limit >> 20} MiB, {concurrency} concurrent, {rounds} rounds; statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}; " +
            $"RSS peak {peakRss >> 20} MiB, at the end of the burst {afterBurst >> 20} MiB, after returning {after >> 20} MiB");
        Assert.True(after < limit, $"RSS {after >> 20} MiB after the burst, limit {limit >> 20} MiB");
    }

    private static HttpRequestMessage Post(string url, HttpContent content) => new(HttpMethod.Post, url) { Content = content };

    private static StringContent Json(object body) => TestServer.Json(body);

    private static ByteArrayContent Raw(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static MultipartFormDataContent Multipart(IEnumerable<byte[]> images)
    {
        var form = new MultipartFormDataContent();
        var i = 0;
        foreach (var bytes in images)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(part, "images", $"big-{i++}.png");
        }

        return form;
    }

    private static float[] Latent(float value) => Enumerable.Repeat(value, 16).ToArray();

    private static byte[] Png(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), 128);
                }
            }
        });
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    /// <summary><c>aeonnx serve</c> as a child process with a GC heap limit, on a free port.</summary>
    private sealed class ChildServer : IAsyncDisposable
    {
        private readonly StringBuilder _log = new();

        private ChildServer(Process process, HttpClient client, int maxBodyMb)
        {
            Process = process;
            Client = client;
            MaxBodyMb = maxBodyMb;
        }

        public Process Process { get; }

        public HttpClient Client { get; }

        public int MaxBodyMb { get; }

        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        public static async Task<ChildServer> StartAsync(string model, long heapLimit, string[] arguments, ITestOutputHelper output)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "AeOnnx.Cli.dll"), "serve", "--model", model, "--port", "0", "--device", "cpu", "--threads", "2" }.Concat(arguments))
            {
                start.ArgumentList.Add(argument);
            }

            // The pod's memory as the runtime sees it in a container with a limit, and deploy/Dockerfile's GC.
            start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + heapLimit.ToString("X", CultureInfo.InvariantCulture);
            start.Environment["DOTNET_gcServer"] = "1";
            var process = Process.Start(start)!;
            var maxBodyMb = arguments.SkipWhile(a => a != "--max-body-mb").Skip(1).Select(int.Parse).DefaultIfEmpty(16).First();
            ChildServer? server = null;
            var lines = new ConcurrentQueue<string>();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lines.Enqueue(line);
                    if (server is not null)
                    {
                        lock (server._log)
                        {
                            server._log.AppendLine(line);
                        }
                    }
                }
            };
            process.BeginErrorReadLine();
            var url = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            if (url is null || !url.StartsWith("aeonnx serve: listening on ", StringComparison.Ordinal))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"serve did not start: {url} {string.Join("\n", lines)}");
            }

            var client = new HttpClient { BaseAddress = new Uri(url["aeonnx serve: listening on ".Length..].Split(' ')[0]), Timeout = TimeSpan.FromMinutes(5) };
            server = new ChildServer(process, client, maxBodyMb);
            lock (server._log)
            {
                foreach (var line in lines)
                {
                    server._log.AppendLine(line);
                }
            }

            output.WriteLine($"serve pid {process.Id}, heap limit {heapLimit >> 20} MiB");
            return server;
        }

        /// <summary>Resident memory of the server process (VmRSS), in bytes.</summary>
        public long Rss()
        {
            try
            {
                var line = File.ReadLines($"/proc/{Process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
            catch (IOException)
            {
                return 0;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            Process.Dispose();
        }
    }
}
