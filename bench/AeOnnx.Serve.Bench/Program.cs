// Load generator for `aeonnx serve`: encode requests/s and p50/p99 latency at several client counts,
// with dynamic batching on and off on the same server (?batching=off runs each request's rows at once).
// Prints a Markdown table (for bench/RESULTS.md) and one JSON line per case.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using AeOnnx;
using AeOnnx.Server;
using Microsoft.Extensions.Logging;

var model = "models/fashion-mnist-ae";
var seconds = 5.0;
int[] clientCounts = [1, 16, 64];
string? url = null;
string? imagePath = null;
var maxBatch = 32;
var maxDelayMs = 0.0;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model":
            model = args[++i];
            break;
        case "--seconds":
            seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--clients":
            clientCounts = args[++i].Split(',').Select(int.Parse).ToArray();
            break;
        case "--url":
            url = args[++i];
            break;
        case "--image":
            imagePath = args[++i];
            break;
        case "--max-batch":
            maxBatch = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--max-delay-ms":
            maxDelayMs = double.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        default:
            Console.Error.WriteLine($"usage: AeOnnx.Serve.Bench [--model DIR] [--seconds S] [--clients 1,16,64] [--url URL] [--image PNG] [--max-batch N] [--max-delay-ms MS]; unknown '{args[i]}'");
            return 2;
    }
}

imagePath ??= Directory.GetFiles(FindUp("samples/images"), "*.png").Order(StringComparer.Ordinal).First();
var image = File.ReadAllBytes(imagePath);

// Without --url: an in-process server on a free loopback port (client and server then share the cores).
AeOnnxServer? server = null;
if (url is null)
{
    server = await AeOnnxServer.StartAsync(new ServerOptions
    {
        ModelPath = Path.IsPathRooted(model) ? model : Path.Combine(Path.GetDirectoryName(FindUp("models"))!, model),
        Port = 0,
        MaxBatch = maxBatch,
        MaxDelay = TimeSpan.FromMilliseconds(maxDelayMs),
        MinimumLogLevel = LogLevel.Warning,

        // What `aeonnx serve` sets up: one ONNX Runtime thread per run, one run per core at once.
        InferenceWorkers = Environment.ProcessorCount,
        ModelOptions = new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 },
    });
    url = server.Url.ToString();
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
{
    BaseAddress = new Uri(url),
    Timeout = TimeSpan.FromSeconds(60),
};

// Before anything is measured, both paths run until the JIT has tiered up the server's code
// (this benchmark is not ReadyToRun): otherwise the first case measured pays for it.
foreach (var path in new[] { "v1/encode", "v1/encode?batching=off", "v1/encode", "v1/encode?batching=off" })
{
    await RunAsync(http, path, image, 16, TimeSpan.FromSeconds(Math.Min(2.0, seconds / 2)));
}

var rows = new List<(int Clients, string Batching, double Rps, double P50, double P99, long Errors)>();
foreach (var clients in clientCounts)
{
    foreach (var batching in new[] { "on", "off" })
    {
        var path = batching == "on" ? "v1/encode" : "v1/encode?batching=off";
        await RunAsync(http, path, image, clients, TimeSpan.FromSeconds(Math.Min(1.0, seconds / 4))); // warm-up
        var (count, errors, latencies, elapsed) = await RunAsync(http, path, image, clients, TimeSpan.FromSeconds(seconds));
        latencies.Sort();
        var row = (clients, batching, count / elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99), errors);
        rows.Add(row);
        Console.WriteLine(JsonSerializer.Serialize(new { mode = "serve-encode", clients, batching, requests_per_second = row.Item3, p50_ms = row.Item4, p99_ms = row.Item5, errors }));
    }
}

Console.WriteLine();
Console.WriteLine($"Encode one 28×28 PNG per request, {seconds:0.#} s per case, max batch {maxBatch}, max delay {maxDelayMs:0.##} ms; load generator {(server is null ? "against " + url : "in the same process as the server")}.");
Console.WriteLine();
Console.WriteLine("| clients | batching | requests/s | p50 (ms) | p99 (ms) | p99/p50 | errors | speed-up from batching |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
foreach (var r in rows)
{
    var off = rows.First(o => o.Clients == r.Clients && o.Batching == "off");
    var speedup = r.Batching == "on" ? $"{r.Rps / off.Rps:0.00}×" : string.Empty;
    Console.WriteLine($"| {r.Clients} | {r.Batching} | {r.Rps:0} | {r.P50:0.00} | {r.P99:0.00} | {r.P99 / r.P50:0.0} | {r.Errors} | {speedup} |");
}

if (server is not null)
{
    await server.DisposeAsync();
}

return rows.Sum(r => r.Errors) == 0 ? 0 : 1;

static async Task<(long Count, long Errors, List<double> Latencies, double Seconds)> RunAsync(HttpClient http, string path, byte[] image, int clients, TimeSpan duration)
{
    var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    var started = Stopwatch.GetTimestamp();
    long count = 0, errors = 0;
    var all = new List<double>[clients];
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
    {
        var mine = all[c] = new List<double>(4096);
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            var content = new ByteArrayContent(image);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            var t0 = Stopwatch.GetTimestamp();
            using var response = await http.PostAsync(path, content);
            await response.Content.ReadAsByteArrayAsync();
            mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            Interlocked.Increment(ref count);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }));
    var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
    return (count, errors, all.SelectMany(l => l).ToList(), elapsed);
}

static double Percentile(List<double> sorted, double q) =>
    sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

static string FindUp(string relative)
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.GetFullPath(Path.Combine(dir.FullName, relative));
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
    }

    throw new DirectoryNotFoundException($"'{relative}' not found above the current or the program's folder.");
}
