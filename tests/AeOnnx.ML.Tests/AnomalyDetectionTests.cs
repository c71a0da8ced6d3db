using System.Globalization;
using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Tests;

/// <summary>
/// One-class anomaly detection as an ML.NET user runs it: the autoencoder's score and decision columns, read by
/// <c>mlContext.AnomalyDetection.Evaluate</c>, beside ML.NET's own RandomizedPca on the same images
/// (tests/fixtures/one-class: a model trained on one Fashion-MNIST class, normal and anomalous test images).
/// </summary>
public sealed class AnomalyDetectionTests
{
    private static readonly string Model = OneClassFixture.Model;
    private readonly MLContext _ml = new(seed: 1);

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";

        public float Label { get; set; }
    }

    private static Row[] Rows(bool normalOnly = false) => new[] { ("normal", 0f), ("anomalous", 1f) }
        .Where(g => !normalOnly || g.Item2 == 0f)
        .SelectMany(g => OneClassFixture.Images(g.Item1).Select(p => new Row { ImagePath = p, Label = g.Item2 }))
        .ToArray();

    /// <summary>The Python scores of the fixture (make_fixture.py), by file.</summary>
    private static Dictionary<string, double> PythonCombined() =>
        OneClassFixture.PythonScoresByFullPath().ToDictionary(p => p.Key, p => p.Value["combined"]);

    [Fact]
    public void Evaluate_reads_the_autoencoder_score_and_decision_and_agrees_with_an_independent_count()
    {
        var rows = Rows();
        var data = _ml.Data.LoadFromEnumerable(rows);
        var pipeline = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", Model)
            .Append(_ml.Transforms.Autoencoder().DetectAnomalies(new AutoencoderAnomalyOptions { ModelDirectory = Model, FalsePositiveRate = 0.05 }));
        var predictions = pipeline.Fit(data).Transform(data);
        var metrics = _ml.AnomalyDetection.Evaluate(predictions, labelColumnName: "Label");

        // the score column is the combined score Python computes for the same files
        var scores = Columns.Scalars(predictions, "Score");
        var python = PythonCombined();
        for (var i = 0; i < rows.Length; i++)
        {
            var expected = python[Path.GetFullPath(rows[i].ImagePath)];
            Assert.True(Math.Abs(scores[i] - expected) <= 2e-3 + (1e-4 * Math.Abs(expected)), $"{rows[i].ImagePath}: {scores[i]} vs Python {expected}");
        }

        // AUC: the share of (anomalous, normal) pairs ordered right, ties half, counted here from Python's scores
        var anomalous = rows.Where(r => r.Label == 1f).Select(r => python[Path.GetFullPath(r.ImagePath)]).ToArray();
        var normal = rows.Where(r => r.Label == 0f).Select(r => python[Path.GetFullPath(r.ImagePath)]).ToArray();
        var pairs = anomalous.Sum(a => normal.Sum(n => a > n ? 1.0 : a == n ? 0.5 : 0.0));
        Assert.Equal(pairs / (anomalous.Length * normal.Length), metrics.AreaUnderRocCurve, 2);
        Assert.True(metrics.AreaUnderRocCurve > 0.9, $"AUC {metrics.AreaUnderRocCurve}");

        // the decision is the calibrated threshold for 5% on the score column
        using var core = Autoencoder.Load(Model, new AutoencoderOptions { Device = Device.Cpu });
        var threshold = (float)core.AnomalyThreshold(0.05).Value;
        var predicted = predictions.GetColumn<bool>("PredictedLabel").ToArray();
        Assert.Equal(scores.Select(s => s > threshold), predicted);
        Assert.InRange(predicted.Where((p, i) => rows[i].Label == 0f).Count(p => p), 0, 25); // about 5% of 200 normal images
    }

    [Fact]
    public void A_one_class_pipeline_against_RandomizedPca_on_the_same_images()
    {
        // what the ML.NET README shows: both detectors fitted on normal images only, evaluated on all
        var train = _ml.Data.LoadFromEnumerable(Rows(normalOnly: true));
        var test = _ml.Data.LoadFromEnumerable(Rows());
        var autoencoder = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", Model)
            .Append(_ml.Transforms.Autoencoder().DetectAnomalies(new AutoencoderAnomalyOptions { ModelDirectory = Model }));
        var pca = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", Model)
            .Append(_ml.Transforms.NormalizeMeanVariance("Pixels"))
            .Append(_ml.AnomalyDetection.Trainers.RandomizedPca("Pixels", rank: 16, seed: 1));

        var ae = _ml.AnomalyDetection.Evaluate(autoencoder.Fit(train).Transform(test), labelColumnName: "Label");
        var baseline = _ml.AnomalyDetection.Evaluate(pca.Fit(train).Transform(test), labelColumnName: "Label");
        Assert.InRange(ae.AreaUnderRocCurve, 0.9, 1.0);
        Assert.InRange(baseline.AreaUnderRocCurve, 0.5, 1.0);
        Assert.InRange(ae.DetectionRateAtFalsePositiveCount, 0.0, 1.0);
    }

    [Fact]
    public void Detection_without_calibration_or_threshold_is_refused_by_name()
    {
        var error = Assert.Throws<InvalidOperationException>(() => _ml.Transforms.Autoencoder().DetectAnomalies(new AutoencoderAnomalyOptions { ModelDirectory = TestData.FashionModel }));
        Assert.Contains("has no anomaly calibration", error.Message, StringComparison.Ordinal);

        // with a threshold given directly it runs: reconstruction MSE against it
        var data = _ml.Data.LoadFromEnumerable(Rows().Take(5).ToArray());
        var predictions = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel)
            .Append(_ml.Transforms.Autoencoder().DetectAnomalies(new AutoencoderAnomalyOptions { ModelDirectory = TestData.FashionModel, Threshold = 0 }))
            .Fit(data).Transform(data);
        Assert.All(predictions.GetColumn<bool>("PredictedLabel"), Assert.True);
        Assert.Equal(Columns.Scalars(_ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel)
            .Append(_ml.Transforms.Autoencoder().ReconstructionError("Mse", "Pixels", TestData.FashionModel)).Fit(data).Transform(data), "Mse"),
            Columns.Scalars(predictions, "Score"));
    }
}
