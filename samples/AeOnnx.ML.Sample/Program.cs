// AeOnnx.ML sample: Fashion-MNIST image files → autoencoder latents → ML.NET.
//   (a) a linear probe (SdcaMaximumEntropy) on the latents, test accuracy (raw pixels for reference)
//   (b) KMeans on the latents, NMI and purity against the labels
//   (c) the test images the autoencoder reconstructs worst (anomaly candidates)
//   (d) save the whole pipeline, load it in a fresh MLContext, predict one image
// Usage: dotnet run --project samples/AeOnnx.ML.Sample -c Release -- [--model DIR] [--data DIR] [--out DIR] [--train N] [--test N] [--pixel-baseline]
using System.Diagnostics;
using System.Globalization;
using AeOnnx.ML;
using AeOnnx.ML.Sample;
using Microsoft.ML;
using Microsoft.ML.Data;

var options = SampleOptions.Parse(args);
var clock = Stopwatch.StartNew();
var train = FashionMnistFiles.Write(options.DataDirectory, "train", options.TrainCount, Path.Combine(options.OutputDirectory, "train"));
var test = FashionMnistFiles.Write(options.DataDirectory, "t10k", options.TestCount, Path.Combine(options.OutputDirectory, "test"));
Console.WriteLine($"data: {train.Count} train + {test.Count} test PNGs in {options.OutputDirectory} ({clock.Elapsed.TotalSeconds:F1} s)");

var ml = new MLContext(seed: 0);
var trainData = ml.Data.LoadFromEnumerable(train.Select(r => new ImageRow { ImagePath = r.Path, Label = r.Label }));
var testData = ml.Data.LoadFromEnumerable(test.Select(r => new ImageRow { ImagePath = r.Path, Label = r.Label }));
var model = options.ModelDirectory;

// Image files → normalized pixels → latent; cached so trainers that make several passes encode once.
var featurizer = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", model)
    .Append(ml.Transforms.Autoencoder().Encode("Latent", "Pixels", model))
    .Append(ml.Transforms.NormalizeMeanVariance("Features", "Latent"));

// (a) linear probe
clock.Restart();
var probe = featurizer
    .Append(ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label"))
    .AppendCacheCheckpoint(ml)
    .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "Features"))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
var probeModel = probe.Fit(trainData);
var probeMetrics = ml.MulticlassClassification.Evaluate(probeModel.Transform(testData), "LabelKey");
Console.WriteLine($"(a) linear probe on {ml.Data.CreateEnumerable<LatentSize>(probeModel.Transform(testData), false).First().Latent.Length}-d latents: test accuracy {probeMetrics.MicroAccuracy:P1} (macro {probeMetrics.MacroAccuracy:P1}), {clock.Elapsed.TotalSeconds:F1} s");

if (options.PixelBaseline)
{
    clock.Restart();
    var pixelProbe = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", model)
        .Append(ml.Transforms.NormalizeMeanVariance("Features", "Pixels"))
        .Append(ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label"))
        .AppendCacheCheckpoint(ml)
        .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "Features"));
    var pixelMetrics = ml.MulticlassClassification.Evaluate(pixelProbe.Fit(trainData).Transform(testData), "LabelKey");
    Console.WriteLine($"    reference, same probe on the 784 raw pixels: test accuracy {pixelMetrics.MicroAccuracy:P1}, {clock.Elapsed.TotalSeconds:F1} s");
}

// (b) KMeans on the latents
clock.Restart();
var clustering = featurizer
    .Append(ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label"))
    .AppendCacheCheckpoint(ml)
    .Append(ml.Clustering.Trainers.KMeans("Features", numberOfClusters: 10));
var clusterModel = clustering.Fit(trainData);
var clustered = clusterModel.Transform(testData);
var clusterMetrics = ml.Clustering.Evaluate(clustered, "LabelKey", "Score", "Features");
var assignments = ml.Data.CreateEnumerable<ClusterRow>(clustered, false).ToArray();
var purity = assignments.GroupBy(a => a.PredictedLabel)
    .Sum(g => g.GroupBy(a => a.Label).Max(l => l.Count())) / (double)assignments.Length;
Console.WriteLine($"(b) KMeans k=10 on latents, test set: NMI {clusterMetrics.NormalizedMutualInformation:F3}, purity {purity:P1}, average distance {clusterMetrics.AverageDistance:F2}, {clock.Elapsed.TotalSeconds:F1} s");

// (c) outliers by reconstruction error
clock.Restart();
var errors = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", model)
    .Append(ml.Transforms.Autoencoder().ReconstructionError("ReconstructionError", "Pixels", model))
    .Fit(testData).Transform(testData);
var worst = ml.Data.CreateEnumerable<ErrorRow>(errors, false).OrderByDescending(r => r.ReconstructionError).ToArray();
var median = worst[worst.Length / 2].ReconstructionError;
Console.WriteLine($"(c) reconstruction error (MSE, [0,1] pixels) on {worst.Length} test images: median {median:F4}; top 5 outliers:");
foreach (var r in worst.Take(5))
{
    Console.WriteLine($"    {r.ReconstructionError:F4}  {r.Label,-8}  {Path.GetFileName(r.ImagePath)}");
}

var outlierRows = ml.Data.LoadFromEnumerable(worst.Take(5).Select(r => new ImageRow { ImagePath = r.ImagePath, Label = r.Label }));
var reconstructions = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", model).Append(ml.Transforms.Autoencoder().Reconstruct("Reconstruction", "Pixels", model))
    .Fit(outlierRows).Transform(outlierRows);
var written = AutoencoderImages.SavePngs(reconstructions, "Reconstruction", model, Path.Combine(options.OutputDirectory, "outliers"), "reconstruction-");
Console.WriteLine($"    their reconstructions: {Path.GetDirectoryName(written[0])} ({clock.Elapsed.TotalSeconds:F1} s)");

// (d) save, load in a fresh context, predict one image
var savedPath = Path.Combine(options.OutputDirectory, "probe-model.zip");
ml.SaveWithAeOnnx(probeModel, trainData.Schema, savedPath);
var first = new ImageRow { ImagePath = test[0].Path, Label = test[0].Label };
var before = ml.Model.CreatePredictionEngine<ImageRow, Prediction>(probeModel).Predict(first);

var fresh = new MLContext(seed: 0);
var loaded = fresh.LoadWithAeOnnx(savedPath, out _);      // reads AeOnnx/pipeline.json, finds the model (relative to the zip), checks it
var after = fresh.Model.CreatePredictionEngine<ImageRow, Prediction>(loaded).Predict(first);
Console.WriteLine($"(d) saved {savedPath} ({new FileInfo(savedPath).Length / 1024} KiB), reloaded in a fresh MLContext: " +
    $"{Path.GetFileName(first.ImagePath)} is '{first.Label}', predicted '{after.PredictedLabel}' " +
    $"(before saving: '{before.PredictedLabel}'; scores equal: {before.Score.SequenceEqual(after.Score)})");
AeOnnxModelCache.Clear();

internal sealed class SampleOptions
{
    public string ModelDirectory { get; private set; } = Path.Combine(FindRoot(), "models", "fashion-mnist-ae");

    public string DataDirectory { get; private set; } = "/usr/share/datasets/fashion-mnist";

    public string OutputDirectory { get; private set; } = Path.Combine(FindRoot(), "out", "ml-sample");

    public int TrainCount { get; private set; } = 6000;

    public int TestCount { get; private set; } = 1000;

    public bool PixelBaseline { get; private set; }

    public static SampleOptions Parse(string[] args)
    {
        var o = new SampleOptions();
        for (var i = 0; i < args.Length; i += 2)
        {
            if (args[i] == "--pixel-baseline")
            {
                o.PixelBaseline = true;
                i--;
                continue;
            }

            var v = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--model":
                    o.ModelDirectory = v;
                    break;
                case "--data":
                    o.DataDirectory = v;
                    break;
                case "--out":
                    o.OutputDirectory = v;
                    break;
                case "--train":
                    o.TrainCount = int.Parse(v, CultureInfo.InvariantCulture);
                    break;
                case "--test":
                    o.TestCount = int.Parse(v, CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}");
            }
        }

        return o;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AeOnnx.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}

/// <summary>Input row: an image file and its class.</summary>
public sealed class ImageRow
{
    /// <summary>Path of the PNG.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>Class name.</summary>
    public string Label { get; set; } = "";
}

/// <summary>Probe output.</summary>
public sealed class Prediction
{
    /// <summary>Predicted class name.</summary>
    public string PredictedLabel { get; set; } = "";

    /// <summary>Per-class scores.</summary>
    public float[] Score { get; set; } = [];
}

/// <summary>Latent column reader.</summary>
public sealed class LatentSize
{
    /// <summary>The latent.</summary>
    public float[] Latent { get; set; } = [];
}

/// <summary>KMeans output with the label.</summary>
public sealed class ClusterRow
{
    /// <summary>Class name.</summary>
    public string Label { get; set; } = "";

    /// <summary>Cluster id.</summary>
    public uint PredictedLabel { get; set; }
}

/// <summary>Reconstruction error row.</summary>
public sealed class ErrorRow
{
    /// <summary>Path.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>Class name.</summary>
    public string Label { get; set; } = "";

    /// <summary>MSE in [0,1] pixel space.</summary>
    public float ReconstructionError { get; set; }
}
