using System.Globalization;
using System.Text.Json;

namespace AeOnnx.Tests.Support;

/// <summary>
/// tests/fixtures/one-class (make_fixture.py): a VAE trained on Fashion-MNIST Trousers only and calibrated
/// on 600 held-out Trousers, 200 normal and 180 anomalous test images, and every score of every image as the
/// training side computes it (scores.csv). Shared by the core, CLI, ML.NET and service tests (linked).
/// </summary>
internal static class OneClassFixture
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var folder = Path.Combine(dir.FullName, "tests", "fixtures", "one-class");
            if (File.Exists(Path.Combine(folder, "scores.csv")))
            {
                return folder;
            }
        }

        throw new InvalidOperationException("tests/fixtures/one-class not found above " + AppContext.BaseDirectory);
    });

    public static string Folder => Root.Value;

    public static string Model => Path.Combine(Folder, "model");

    /// <summary>The images of one part of the fixture ("normal" or "anomalous"), in name order.</summary>
    public static string[] Images(string part) => Directory.GetFiles(Path.Combine(Folder, part), "*.png").Order(StringComparer.Ordinal).ToArray();

    /// <summary>The Python scores by image path relative to the fixture ("normal/00002.png"), in the file's order.</summary>
    public static IReadOnlyList<(string Path, Dictionary<string, double> Scores)> PythonScores()
    {
        var lines = File.ReadAllLines(Path.Combine(Folder, "scores.csv"));
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(line => line.Split(',')).Select(cells => (
            cells[0],
            header.Skip(1).Select((name, i) => (name, value: double.Parse(cells[i + 1], CultureInfo.InvariantCulture))).ToDictionary(p => p.name, p => p.value))).ToList();
    }

    /// <summary>The Python scores by full path.</summary>
    public static Dictionary<string, Dictionary<string, double>> PythonScoresByFullPath() =>
        PythonScores().ToDictionary(s => Path.GetFullPath(Path.Combine(Folder, s.Path)), s => s.Scores);

    /// <summary>How far a .NET score may be from Python's: float32 networks on two runtimes agree to a few float32 ulps of the activations.</summary>
    public static double Tolerance(string score, double value) =>
        score is "combined" or "mahalanobis" ? 2e-3 + (1e-4 * Math.Abs(value)) : (1e-4 * Math.Abs(value)) + 1e-7;

    /// <summary>docs/MODEL-FORMAT.md recomputed from the manifest: the 1 − a quantile of the sorted calibration scores, linear between order statistics.</summary>
    public static double ThresholdFromManifest(string score, double falsePositiveRate)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "manifest.json")));
        var v = manifest.RootElement.GetProperty("anomaly").GetProperty("scores").GetProperty(score).GetProperty("sorted").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var h = (v.Length - 1) * (1 - falsePositiveRate);
        var lo = (int)Math.Floor(h);
        return lo + 1 < v.Length ? v[lo] + ((h - lo) * (v[lo + 1] - v[lo])) : v[lo];
    }
}
