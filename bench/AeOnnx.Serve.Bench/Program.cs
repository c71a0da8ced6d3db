// Load generator for the service benchmark (bench/serve.py), run as its own process against a server
// started elsewhere: N concurrent clients, each with keep-alive, POST the same image again and again.
// For each path and client count: a warm-up, then a fixed duration measured; one JSON line per case
// with requests/s, p50, p99 and errors (a non-2xx answer or a failed request).
//
// With --server-pid (Linux), each case also reports the server process's CPU time per request (user + system,
// from /proc/PID/stat): what a request costs the server, which other load on the machine barely moves.
//
// usage: AeOnnx.Serve.Bench --url URL --image FILE [--paths P1,P2] [--clients 16,1,64] [--seconds S]
//        [--warmup-seconds S] [--content-type T] [--server-pid PID]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

string? url = null;
string? imagePath = null;
string[] paths = ["v1/encode"];
int[] clientCounts = [16, 1, 64];
var seconds = 5.0;
var warmupSeconds = 3.0;
var contentType = "image/png";
int? serverPid = null;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--url" when value is not null:
            url = value;
            break;
        case "--image" when value is not null:
            imagePath = value;
            break;
        case "--paths" when value is not null:
            paths = value.Split(',');
            break;
        case "--clients" when value is not null:
            clientCounts = [.. value.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
            break;
        case "--seconds" when value is not null:
            seconds = double.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--warmup-seconds" when value is not null:
            warmupSeconds = double.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--content-type" when value is not null:
            contentType = value;
            break;
        case "--server-pid" when value is not null:
            serverPid = int.Parse(value, CultureInfo.InvariantCulture);
            break;
        default:
            return Usage($"unexpected '{args[i]}'");
    }

    i++;
}

if (url is null || imagePath is null)
{
    return Usage("--url and --image are required");
}

var image = File.ReadAllBytes(imagePath);
using var http = new HttpClient(new SocketsHttpHandler
{
    // One connection per client, kept alive for the whole run.
    MaxConnectionsPerServer = clientCounts.Max(),
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    UseProxy = false,
    AutomaticDecompression = System.Net.DecompressionMethods.None,
})
{
    BaseAddress = new Uri(url),
    Timeout = TimeSpan.FromSeconds(60),
};

// Until the server's JIT has tiered up (the baseline is not ReadyToRun) and every path has run at the
// largest client count: otherwise the first case measured pays for it.
foreach (var path in paths)
{
    await RunAsync(http, path, image, contentType, clientCounts.Max(), TimeSpan.FromSeconds(warmupSeconds / paths.Length));
}

var failed = false;
foreach (var clients in clientCounts)
{
    foreach (var path in paths)
    {
        await RunAsync(http, path, image, contentType, clients, TimeSpan.FromSeconds(Math.Min(1.0, seconds / 4)));
        var cpuBefore = CpuSeconds(serverPid);
        var (count, errors, latencies, elapsed) = await RunAsync(http, path, image, contentType, clients, TimeSpan.FromSeconds(seconds));
        var cpu = CpuSeconds(serverPid) - cpuBefore;
        latencies.Sort();
        failed |= errors > 0;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            path,
            clients,
            seconds = elapsed,
            requests = count,
            requests_per_second = count / elapsed,
            p50_ms = Percentile(latencies, 0.50),
            p99_ms = Percentile(latencies, 0.99),
            errors,
            server_cpu_us_per_request = cpu is double c && count > 0 ? c * 1e6 / count : (double?)null,
        }));
    }
}

return failed ? 1 : 0;

static async Task<(long Count, long Errors, List<double> Latencies, double Seconds)> RunAsync(
    HttpClient http, string path, byte[] image, string contentType, int clients, TimeSpan duration)
{
    var started = Stopwatch.GetTimestamp();
    var stopAt = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    var all = new List<double>[clients];
    var errors = new long[clients];
    var type = new MediaTypeHeaderValue(contentType);
    await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
    {
        var mine = all[c] = new List<double>(16384);
        var content = new ByteArrayContent(image);
        content.Headers.ContentType = type;
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.PostAsync(path, content);
                await response.Content.LoadIntoBufferAsync();
                if (!response.IsSuccessStatusCode)
                {
                    errors[c]++;
                }
            }
            catch (HttpRequestException)
            {
                errors[c]++;
            }

            mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
    })));
    var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
    return (all.Sum(l => l.Count), errors.Sum(), [.. all.SelectMany(l => l)], elapsed);
}

static double Percentile(List<double> sorted, double q) =>
    sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

// utime + stime of a process, in seconds: fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second
// on Linux); the fields are counted after the command name's closing parenthesis, which may hold spaces.
static double? CpuSeconds(int? pid)
{
    if (pid is null || !OperatingSystem.IsLinux())
    {
        return null;
    }

    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

static int Usage(string why)
{
    Console.Error.WriteLine($"usage: AeOnnx.Serve.Bench --url URL --image FILE [--paths P1,P2] [--clients 16,1,64] [--seconds S] [--warmup-seconds S] [--content-type T] [--server-pid PID]; {why}");
    return 2;
}
