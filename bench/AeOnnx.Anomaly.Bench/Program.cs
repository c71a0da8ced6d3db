// ML.NET's own anomaly detector on raw pixels, the baseline an ML.NET user would pick instead of an
// autoencoder: mlContext.AnomalyDetection.Trainers.RandomizedPca on the pixels scaled to [0,1].
// bench/anomaly.py writes one folder per normal class (the same splits as the autoencoders):
//   train.u8   N×D bytes, the training images of the normal class (validation images held back)
//   test.u8    M×D bytes, the whole test set;  labels.u8  M bytes, 1 = anomaly (another class)
// For each rank, with and without NormalizeMeanVariance, it writes scores-rank{R}-{normalized|raw}.f32
// (M little-endian floats, ML.NET's Score column) and prints one JSON line with ML.NET's own AUC
// (AnomalyDetection.Evaluate) as a cross-check of the AUROC that anomaly.py computes from the scores.
// Usage: AeOnnx.Anomaly.Bench --data DIR --dim 784 [--ranks 16,20] [--seed 1]
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

string Arg(string name, string? fallback = null) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback ?? throw new ArgumentException($"missing {name}");

var dir = Arg("--data");
var dim = int.Parse(Arg("--dim"), CultureInfo.InvariantCulture);
var ranks = Arg("--ranks", "16,20").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
var seed = int.Parse(Arg("--seed", "1"), CultureInfo.InvariantCulture);

var train = File.ReadAllBytes(Path.Combine(dir, "train.u8"));
var test = File.ReadAllBytes(Path.Combine(dir, "test.u8"));
var labels = File.ReadAllBytes(Path.Combine(dir, "labels.u8"));
if (train.Length % dim != 0 || test.Length != labels.Length * dim)
{
    throw new InvalidDataException($"{dir}: sizes do not fit {dim} values per image (train {train.Length}, test {test.Length}, labels {labels.Length})");
}

var ml = new MLContext(seed: seed);
var schema = SchemaDefinition.Create(typeof(PixelRow));
schema[nameof(PixelRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dim);
var trainView = ml.Data.LoadFromEnumerable(Rows(train, null, dim), schema);
var testView = ml.Data.LoadFromEnumerable(Rows(test, labels, dim), schema);

// As the trainer's documentation asks ("normalization required"): features standardised by
// NormalizeMeanVariance first; the pixels scaled to [0,1] alone are scored too ("raw").
foreach (var normalize in new[] { true, false })
{
    foreach (var rank in ranks)
    {
        IEstimator<ITransformer> pipeline = ml.AnomalyDetection.Trainers.RandomizedPca(
            featureColumnName: nameof(PixelRow.Features), rank: rank, oversampling: 20, ensureZeroMean: true, seed: seed);
        if (normalize)
        {
            pipeline = ml.Transforms.NormalizeMeanVariance(nameof(PixelRow.Features)).Append(pipeline);
        }

        var predictions = pipeline.Fit(trainView).Transform(testView);
        var scores = predictions.GetColumn<float>("Score").ToArray();
        var metrics = ml.AnomalyDetection.Evaluate(predictions, labelColumnName: nameof(PixelRow.Label));
        var name = $"rank{rank}-{(normalize ? "normalized" : "raw")}";
        var bytes = new byte[scores.Length * sizeof(float)];
        Buffer.BlockCopy(scores, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(Path.Combine(dir, $"scores-{name}.f32"), bytes);
        Console.WriteLine(JsonSerializer.Serialize(new { name, rank, normalize, auc = metrics.AreaUnderRocCurve, train = train.Length / dim, test = scores.Length }));
    }
}

static IEnumerable<PixelRow> Rows(byte[] pixels, byte[]? labels, int dim)
{
    for (var i = 0; i < pixels.Length / dim; i++)
    {
        var features = new float[dim];
        for (var j = 0; j < dim; j++)
        {
            features[j] = pixels[(i * dim) + j] / 255f;
        }

        yield return new PixelRow { Label = labels is not null && labels[i] != 0 ? 1f : 0f, Features = features };
    }
}

/// <summary>One image: its pixels in [0,1] and its label, 1 for an anomaly (another class than the normal one), else 0 (the evaluator takes a Single label).</summary>
internal sealed class PixelRow
{
    public float Label { get; set; }

    public float[] Features { get; set; } = [];
}
