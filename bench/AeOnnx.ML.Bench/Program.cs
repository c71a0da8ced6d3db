// AeOnnx.ML batched encoder vs ML.NET's ApplyOnnxModel (one row per Run), same model, same images, beside
// the engine itself (the core's folder pipeline and tensor calls, no ML.NET) as the speed to reach.
// Stopwatch, 1 warm-up + R timed runs each, round-robin, medians; every run reads every latent.
// Usage: dotnet run --project bench/AeOnnx.ML.Bench -c Release -- [--model DIR] [--data DIR] [--images N] [--runs R] [--batch B]
using System.Diagnostics;
using System.Globalization;
using AeOnnx;
using AeOnnx.ML;
using AeOnnx.ML.Sample;
using AeOnnx.Pipeline;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
var root = FindRoot();
var model = Arg("--model", Path.Combine(root, "models", "fashion-mnist-ae"));
var images = int.Parse(Arg("--images", "10000"), CultureInfo.InvariantCulture);
var runs = int.Parse(Arg("--runs", "5"), CultureInfo.InvariantCulture);
var batch = int.Parse(Arg("--batch", "64"), CultureInfo.InvariantCulture);
var imageDir = Path.Combine(root, "out", "ml-bench", "images");
var files = FashionMnistFiles.Write(Arg("--data", "/usr/share/datasets/fashion-mnist"), "t10k", images, imageDir);

var ml = new MLContext(seed: 0);
var data = ml.Data.LoadFromEnumerable(files.Select(f => new Row { ImagePath = f.Path }));
var encoderFile = Path.Combine(model, "encoder.onnx");
var cpu = Device.Cpu;

// ML.NET's own image steps, producing the encoder's input column "image" (scale 1/255: manifest scale 255, mean 0, std 1).
IEstimator<ITransformer> MlNetPixels() => ml.Transforms.LoadImages("Bitmap", imageDir, "ImagePath")
    .Append(ml.Transforms.ResizeImages("Bitmap", 28, 28))
    .Append(ml.Transforms.ExtractPixels("image", "Bitmap", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255f, outputAsFloatArray: true));

var cases = new (string Name, IEstimator<ITransformer> Pipeline, string Output, IDataView Input)[]
{
    ("ML.NET pixels -> ApplyOnnxModel (per row)", MlNetPixels().Append(ml.Transforms.ApplyOnnxModel("latent", "image", encoderFile)), "latent", data),
    ($"ML.NET pixels -> EncodeWithAutoencoder (batch {batch})", MlNetPixels().Append(ml.Transforms.Autoencoder().Encode(new AutoencoderEncodingOptions { ModelDirectory = model, InputColumnName = "image", OutputColumnName = "Latent", Device = cpu, BatchSize = batch })), "Latent", data),
    ($"LoadAutoencoderImages -> EncodeWithAutoencoder (batch {batch})", ml.Transforms.Autoencoder().LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = model, OutputColumnName = "image", Device = cpu })
        .Append(ml.Transforms.Autoencoder().Encode(new AutoencoderEncodingOptions { ModelDirectory = model, InputColumnName = "image", OutputColumnName = "Latent", Device = cpu, BatchSize = batch })), "Latent", data),
};

// Model-only: the pixels decoded once and cached in memory, so only the encoder calls differ.
var cachedPixels = ml.Data.Cache(ml.Transforms.Autoencoder().LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = model, OutputColumnName = "image", Device = cpu }).Fit(data).Transform(data), "image");
Drain(cachedPixels, "image");
var modelOnly = new (string Name, IEstimator<ITransformer> Pipeline, string Output, IDataView Input)[]
{
    ("cached pixels -> ApplyOnnxModel (per row)", ml.Transforms.ApplyOnnxModel("latent", "image", encoderFile), "latent", cachedPixels),
    ($"cached pixels -> EncodeWithAutoencoder (batch {batch})", ml.Transforms.Autoencoder().Encode(new AutoencoderEncodingOptions { ModelDirectory = model, InputColumnName = "image", OutputColumnName = "Latent", Device = cpu, BatchSize = batch }), "Latent", cachedPixels),
};

// Stage limits, no ML.NET: the core's EncodeTensor over all cached pixels, one run split over the cores
// (ONNX Runtime's default threads), and single-threaded runs of `batch` images, one per core at once (the
// setting of the aeonnx tool and of the AeOnnx.ML stages).
var flat = cachedPixels.GetColumn<float[]>("image").SelectMany(v => v).ToArray();
using var core = Autoencoder.Load(model, new AutoencoderOptions { Device = cpu, BatchSize = batch });
using var single = Autoencoder.Load(model, new AutoencoderOptions { Device = cpu, BatchSize = batch, IntraOpThreads = 1 });
var latents = new float[files.Count * core.LatentDim];
core.EncodeTensor(flat, latents);
void EncodeOnePerCore()
{
    var (p, d, runs) = (single.PixelCount, single.LatentDim, (files.Count + batch - 1) / batch);
    Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, r =>
    {
        var n = Math.Min(batch, files.Count - (r * batch));
        single.EncodeTensor(flat.AsSpan(r * batch * p, n * p), latents.AsSpan(r * batch * d, n * d));
    });
}

// The engine end to end: the core's folder pipeline (what `aeonnx encode` runs), in this process.
var paths = files.Select(f => f.Path).ToArray();
void EncodeFolder()
{
    var results = single.EncodeFilesAsync(paths, new PipelineOptions { BatchSize = batch }).GetAsyncEnumerator();
    while (results.MoveNextAsync().AsTask().GetAwaiter().GetResult())
    {
    }
}


// Stage limit of the other half: every file read, decoded (Skia) and preprocessed into the input tensor,
// one image per core at once, no inference. With the inference limit above, it bounds what any pipeline
// on these cores can reach end to end (the two halves share the same cores).
var decoded = new float[flat.Length];
void DecodeOnePerCore() => Parallel.For(0, paths.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
    single.Images.LoadTensor(paths[i], decoded.AsSpan(i * single.PixelCount, single.PixelCount)));
DecodeOnePerCore();
if (!decoded.AsSpan().SequenceEqual(flat))
{
    throw new InvalidOperationException("the decode-only stage does not produce the pixels the pipelines encode");
}

// The load average says how quiet the machine was (the cases share its cores with whatever else runs).
var load = File.Exists("/proc/loadavg") ? $", load average {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))} at start" : "";
Console.WriteLine($"{files.Count} Fashion-MNIST PNGs, model {Path.GetFileName(model)}, CPU, {Environment.ProcessorCount} cores, {runs} timed runs (median), .NET {Environment.Version}{load}");
Report("end to end (decode PNG + encode)", cases.Select(Drainer)
    .Append(("engine: core folder pipeline (aeonnx encode's), no ML.NET", EncodeFolder))
    .Append(("stage limit: read + decode + preprocess only, one image per core", DecodeOnePerCore)).ToArray());
Report("model only (pixels cached in memory)", modelOnly.Select(Drainer)
    .Append(("stage limit: core EncodeTensor, one run over all cores", () => core.EncodeTensor(flat, latents)))
    .Append(("stage limit: core EncodeTensor, 1-thread runs, one per core", EncodeOnePerCore)).ToArray());

(string Name, Action Run) Drainer((string Name, IEstimator<ITransformer> Pipeline, string Output, IDataView Input) c)
{
    var view = c.Pipeline.Fit(c.Input).Transform(c.Input);
    return (c.Name, () => Drain(view, c.Output));
}

AeOnnxModelCache.Clear();

void Report(string title, (string Name, Action Run)[] group)
{
    // Round-robin: run i of every case happens at about the same time, so load drift on a shared
    // machine hits all cases alike. Medians (and minimums) per case.
    Console.WriteLine(title);
    foreach (var c in group)
    {
        c.Run(); // warm-up
    }

    var times = group.Select(_ => new List<double>()).ToArray();
    for (var r = 0; r < runs; r++)
    {
        for (var c = 0; c < group.Length; c++)
        {
            var sw = Stopwatch.StartNew();
            group[c].Run();
            times[c].Add(sw.Elapsed.TotalMilliseconds);
        }
    }

    var medians = times.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
    var minimums = times.Select(t => t.Min()).ToArray();
    for (var c = 0; c < group.Length; c++)
    {
        Console.WriteLine($"  {group[c].Name,-62} median {medians[c],6:F0} ms  min {minimums[c],6:F0} ms  ({files.Count / (medians[c] / 1000):F0} images/s)");
    }

    for (var c = 1; c < group.Length; c++)
    {
        Console.WriteLine($"  '{group[c].Name}' vs '{group[0].Name}': {medians[0] / medians[c]:F2}x faster (medians), {minimums[0] / minimums[c]:F2}x (minimums)");
    }
}

static double Drain(IDataView view, string column)
{
    var col = view.Schema[column];
    using var cursor = view.GetRowCursor([col]);
    var getter = cursor.GetGetter<VBuffer<float>>(col);
    VBuffer<float> value = default;
    var sum = 0.0;
    while (cursor.MoveNext())
    {
        getter(ref value);
        foreach (var v in value.GetValues())
        {
            sum += v;
        }
    }

    return sum;
}

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AeOnnx.sln")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? Directory.GetCurrentDirectory();
}

internal sealed class Row
{
    public string ImagePath { get; set; } = "";
}
