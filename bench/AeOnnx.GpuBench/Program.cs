// CPU vs CUDA inference of the shipped models, side by side in one process: for each model and
// batch size, encode and decode throughput on each device (median of timed rounds after warm-up),
// plus the largest CPU-vs-CUDA gap of the outputs. Usage:
//   AeOnnx.GpuBench [--models DIR] [--batches 1,4,...] [--seconds-per-cell S] [--out FILE.md] [--smoke-on-cpu 1]
// Exit 0 with a SKIP line when CUDA does not start (a CPU-only machine or the CPU flavor linked);
// --smoke-on-cpu 1 then runs the whole table with the CPU in the CUDA column (a check of this program).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AeOnnx;

var args_ = Args.Parse(args);
var modelsRoot = args_.Get("--models") ?? FindModels();
var batches = (args_.Get("--batches") ?? "1,4,16,64,256,1024,4096").Split(',').Select(int.Parse).ToArray();
var secondsPerCell = double.Parse(args_.Get("--seconds-per-cell") ?? "0.5", CultureInfo.InvariantCulture);
var outFile = args_.Get("--out");

string? cudaProblem = null;
try
{
    using var probe = Autoencoder.Load(Path.Combine(modelsRoot, "fashion-mnist-ae"), new AutoencoderOptions { Device = Device.Cuda(0) });
}
catch (DeviceUnavailableException ex)
{
    cudaProblem = ex.Reason;
}

var smoke = args_.Get("--smoke-on-cpu") == "1";
var second = cudaProblem is null ? Device.Cuda(0) : Device.Cpu;
if (cudaProblem is not null && !smoke)
{
    Console.WriteLine($"SKIP cuda-benchmark: CUDA does not start here: {cudaProblem}");
    return 0;
}

var table = new StringBuilder();
if (cudaProblem is not null)
{
    Console.WriteLine($"SMOKE: CUDA does not start ({cudaProblem}); the CUDA columns below are the CPU again.");
}

table.AppendLine("| model | batch | encode CPU img/s | encode CUDA img/s | CUDA/CPU | encode CUDA, pinned + IO binding | decode CPU img/s | decode CUDA img/s | CUDA/CPU | max abs gap |");
table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var folder in Directory.GetDirectories(modelsRoot).Where(d => File.Exists(Path.Combine(d, "manifest.json"))).Order(StringComparer.Ordinal))
{
    foreach (var batch in batches)
    {
        using var cpu = Autoencoder.Load(folder, new AutoencoderOptions { Device = Device.Cpu, BatchSize = batch });
        using var cuda = Autoencoder.Load(folder, new AutoencoderOptions { Device = second, BatchSize = batch });
        var random = new Random(batch);
        var images = new float[batch * cpu.PixelCount];
        for (var i = 0; i < images.Length; i++)
        {
            images[i] = (float)random.NextDouble();
        }

        var latents = new float[batch * cpu.LatentDim];
        var outputs = new float[batch * cpu.PixelCount];
        var encodeCpu = Rate(() => cpu.EncodeTensor(images, latents), batch, secondsPerCell);
        var decodeCpu = Rate(() => cpu.DecodeTensor(latents, outputs), batch, secondsPerCell);
        var latentsCuda = new float[latents.Length];
        var outputsCuda = new float[outputs.Length];
        var encodeCuda = Rate(() => cuda.EncodeTensor(images, latentsCuda), batch, secondsPerCell);
        cuda.DecodeTensor(latents, outputsCuda);
        var decodeCuda = Rate(() => cuda.DecodeTensor(latents, outputsCuda), batch, secondsPerCell);
        cpu.DecodeTensor(latents, outputs);
        var pinned = cudaProblem is null ? PinnedRate(folder, cpu, batch, secondsPerCell) : "-";
        var gap = Math.Max(MaxGap(latents, latentsCuda), MaxGap(outputs, outputsCuda));
        var row = string.Create(
            CultureInfo.InvariantCulture,
            $"| {Path.GetFileName(folder)} | {batch} | {encodeCpu:0} | {encodeCuda:0} | {encodeCuda / encodeCpu:0.0}x | {pinned} | {decodeCpu:0} | {decodeCuda:0} | {decodeCuda / decodeCpu:0.0}x | {gap:E1} |");
        table.AppendLine(row);
        Console.WriteLine(row);
    }
}

if (outFile is not null)
{
    File.WriteAllText(outFile, table.ToString());
}

return 0;

// Images per second: median of timed rounds (each at least ~50 ms) after two warm-up calls
// (the first CUDA runs of a shape pick cuDNN algorithms and grow the arena).
static double Rate(Action run, int batch, double seconds)
{
    run();
    run();
    var rounds = new List<double>();
    var total = Stopwatch.StartNew();
    while (total.Elapsed.TotalSeconds < seconds || rounds.Count < 3)
    {
        var calls = 0;
        var round = Stopwatch.StartNew();
        do
        {
            run();
            calls++;
        }
        while (round.Elapsed.TotalMilliseconds < 50);
        rounds.Add(calls * batch / round.Elapsed.TotalSeconds);
    }

    rounds.Sort();
    return rounds[rounds.Count / 2];
}

// The library's CUDA defaults (AutoencoderOptions.CudaProviderOptions documents them), for the raw session.
static string PinnedRate(string folder, Autoencoder model, int batch, double seconds)
{
    var settings = new Dictionary<string, string>
    {
        ["device_id"] = "0",
        ["cudnn_conv_algo_search"] = "EXHAUSTIVE",
        ["cudnn_conv_use_max_workspace"] = "1",
        ["arena_extend_strategy"] = "kSameAsRequested",
        ["do_copy_in_default_stream"] = "1",
        ["use_tf32"] = "0",
    };
    try
    {
        var m = model.Model;
        using var bound = new AeOnnx.GpuBench.PinnedIoBinding(
            Path.Combine(folder, m.Encoder.File), m.Encoder.Input, m.Encoder.Outputs[0], batch,
            [m.Image.Channels, m.Image.Height, m.Image.Width], m.Latent.Dim, settings);
        return Rate(bound.Run, batch, seconds).ToString("0", CultureInfo.InvariantCulture);
    }
    catch (Exception ex) when (ex is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or InvalidOperationException or ArgumentException)
    {
        return "n/a: " + ex.Message.Split('\n')[0];
    }
}

static double MaxGap(float[] a, float[] b)
{
    var max = 0.0;
    for (var i = 0; i < a.Length; i++)
    {
        max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
    }

    return max;
}

static string FindModels()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "models");
        if (File.Exists(Path.Combine(dir.FullName, "AeOnnx.sln")) && Directory.Exists(candidate))
        {
            return candidate;
        }
    }

    throw new DirectoryNotFoundException("no models/ folder above the program; pass --models DIR");
}

internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        return new Args(values);
    }

    public string? Get(string name) => values.GetValueOrDefault(name);
}
