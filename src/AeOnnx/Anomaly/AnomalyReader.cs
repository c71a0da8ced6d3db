using System.Collections.ObjectModel;
using System.Text.Json;
using AeOnnx.Models;

namespace AeOnnx.Anomaly;

/// <summary>
/// Checks a manifest's <c>anomaly</c> block field by field into an <see cref="AnomalyCalibration"/>
/// (docs/manifest.schema.json states the same rules); every refusal names the field. A block of
/// another format is not this reader's to judge: the model loads without calibration.
/// </summary>
internal static class AnomalyReader
{
    public static AnomalyCalibration? Read(JsonElement? element, JsonSerializerOptions options, string file, ModelKind kind, bool hasLatentDistribution)
    {
        if (element is not { } e || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        AnomalyJson.Block? block;
        try
        {
            block = e.ValueKind == JsonValueKind.Object ? e.Deserialize<AnomalyJson.Block>(options) : null;
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "anomaly" : "anomaly." + ex.Path.TrimStart('$', '.');
            throw new ModelLoadException(file, where, "the anomaly block's documented types", ex.Message, ex);
        }

        if (block is null)
        {
            throw new ModelLoadException(file, "anomaly", "an object", e.ValueKind.ToString());
        }

        if (block.Format is null)
        {
            throw ManifestReader.Missing(file, "anomaly.format");
        }

        if (block.Format != AnomalyCalibration.CurrentFormat)
        {
            return null;
        }

        var variational = kind == ModelKind.VariationalAutoencoder;
        var scores = ReadScores(block, file, variational);
        var images = block.Calibration?.Images ?? throw ManifestReader.Missing(file, "anomaly.calibration.images");
        if (images < 1)
        {
            throw new ModelLoadException(file, "anomaly.calibration.images", "at least 1", ManifestReader.Num(images));
        }

        if (block.Calibration.Quantile is { } rule && rule != "linear")
        {
            throw new ModelLoadException(file, "anomaly.calibration.quantile", "\"linear\"", ManifestReader.Quote(rule));
        }

        foreach (var (score, calibration) in scores)
        {
            if (calibration.Sorted.Count != images)
            {
                throw new ModelLoadException(file, $"anomaly.scores.{score.Name()}.sorted", $"{images} values (calibration.images)", $"{calibration.Sorted.Count} values");
            }
        }

        if (!AnomalyScoreNames.TryParse(block.Score, out var defaultScore))
        {
            throw new ModelLoadException(file, "anomaly.score", "one of " + string.Join(", ", AnomalyScoreNames.All), ManifestReader.Quote(block.Score));
        }

        if (!scores.ContainsKey(defaultScore))
        {
            throw new ModelLoadException(file, "anomaly.score", "a score calibrated in anomaly.scores", ManifestReader.Quote(block.Score));
        }

        var terms = ReadTerms(block, file, variational);
        var uses = scores.Keys.Concat(terms.Select(t => t.Score)).ToHashSet();
        if (uses.Contains(AnomalyScore.Mahalanobis) && !hasLatentDistribution)
        {
            throw new ModelLoadException(file, "latent.cholesky", "the latent statistics the anomaly block's mahalanobis score needs", "missing");
        }

        var references = ReadReferences(block.LatentKnn, file);
        if (uses.Contains(AnomalyScore.LatentKnn) && references is null)
        {
            throw ManifestReader.Missing(file, "anomaly.latent_knn");
        }

        if (references is not null && !hasLatentDistribution)
        {
            throw new ModelLoadException(file, "latent.cholesky", "the latent statistics the anomaly block's latent_knn score needs", "missing");
        }

        if (block.LikelihoodSigma is { } sigma && !(double.IsFinite(sigma) && sigma > 0))
        {
            throw new ModelLoadException(file, "anomaly.likelihood_sigma", "a positive number", ManifestReader.Num(sigma));
        }

        if (uses.Contains(AnomalyScore.NegativeElbo) && block.LikelihoodSigma is null)
        {
            throw ManifestReader.Missing(file, "anomaly.likelihood_sigma");
        }

        return new AnomalyCalibration
        {
            DefaultScore = defaultScore,
            Ssim = ReadWindow(block.Ssim, file),
            CombinedTerms = terms,
            LikelihoodSigma = block.LikelihoodSigma,
            ReferencesFile = references,
            CalibrationImages = images,
            CalibrationSource = block.Calibration.Source ?? string.Empty,
            Scores = new ReadOnlyDictionary<AnomalyScore, ScoreCalibration>(scores),
        };
    }

    private static SortedDictionary<AnomalyScore, ScoreCalibration> ReadScores(AnomalyJson.Block block, string file, bool variational)
    {
        if (block.Scores is null || block.Scores.Count == 0)
        {
            throw ManifestReader.Missing(file, "anomaly.scores");
        }

        var scores = new SortedDictionary<AnomalyScore, ScoreCalibration>();
        foreach (var (name, values) in block.Scores)
        {
            var field = $"anomaly.scores.{name}";
            if (!AnomalyScoreNames.TryParse(name, out var score))
            {
                throw new ModelLoadException(file, field, "a score named " + string.Join(", ", AnomalyScoreNames.All), ManifestReader.Quote(name));
            }

            CheckDefined(score, variational, file, field);
            var sorted = values?.Sorted ?? throw ManifestReader.Missing(file, field + ".sorted");
            if (sorted.Length == 0)
            {
                throw new ModelLoadException(file, field + ".sorted", "at least one value", "none");
            }

            for (var i = 0; i < sorted.Length; i++)
            {
                if (!double.IsFinite(sorted[i]) || (i > 0 && sorted[i] < sorted[i - 1]))
                {
                    throw new ModelLoadException(file, $"{field}.sorted[{i}]", "finite values in ascending order", ManifestReader.Num(sorted[i]));
                }
            }

            if (values.Quantiles is { } q && (q.Levels?.Length ?? -1) != (q.Values?.Length ?? -2))
            {
                throw new ModelLoadException(file, field + ".quantiles", "as many values as levels", $"{q.Levels?.Length.ToString() ?? "no"} levels, {q.Values?.Length.ToString() ?? "no"} values");
            }

            scores[score] = new ScoreCalibration
            {
                Mean = values.Mean ?? sorted.Average(),
                Std = values.Std ?? 0,
                Sorted = Array.AsReadOnly(sorted),
            };
        }

        return scores;
    }

    private static ReadOnlyCollection<CombinedScoreTerm> ReadTerms(AnomalyJson.Block block, string file, bool variational)
    {
        var terms = block.Combined?.Terms;
        if (terms is null || terms.Length == 0)
        {
            throw ManifestReader.Missing(file, "anomaly.combined.terms");
        }

        var list = new List<CombinedScoreTerm>();
        for (var i = 0; i < terms.Length; i++)
        {
            var field = $"anomaly.combined.terms[{i}]";
            var t = terms[i] ?? throw ManifestReader.Missing(file, field);
            if (!AnomalyScoreNames.TryParse(t.Score, out var score) || score == AnomalyScore.Combined)
            {
                throw new ModelLoadException(file, field + ".score", "mse, ssim, mahalanobis, latent_knn or neg_elbo", ManifestReader.Quote(t.Score));
            }

            CheckDefined(score, variational, file, field + ".score");
            var transform = t.Transform switch
            {
                "identity" => ScoreTransform.Identity,
                "log" => ScoreTransform.Log,
                _ => throw new ModelLoadException(file, field + ".transform", "\"identity\" or \"log\"", ManifestReader.Quote(t.Transform)),
            };
            var mean = t.Mean ?? throw ManifestReader.Missing(file, field + ".mean");
            var std = t.Std ?? throw ManifestReader.Missing(file, field + ".std");
            if (!double.IsFinite(mean))
            {
                throw new ModelLoadException(file, field + ".mean", "a finite number", ManifestReader.Num(mean));
            }

            if (!(double.IsFinite(std) && std > 0))
            {
                throw new ModelLoadException(file, field + ".std", "a positive number", ManifestReader.Num(std));
            }

            list.Add(new CombinedScoreTerm { Score = score, Transform = transform, Mean = mean, Std = std });
        }

        return list.AsReadOnly();
    }

    private static LatentReferencesFile? ReadReferences(AnomalyJson.References? r, string file)
    {
        if (r is null)
        {
            return null;
        }

        const string section = "anomaly.latent_knn";
        ManifestReader.CheckPlainFileName(r.File, file, section + ".file");
        ManifestReader.CheckHash(r.Sha256, file, section + ".sha256");
        if (r.Dtype is { } dtype && dtype != "float32")
        {
            throw new ModelLoadException(file, section + ".dtype", "\"float32\"", ManifestReader.Quote(dtype));
        }

        var count = r.Count ?? throw ManifestReader.Missing(file, section + ".count");
        var dim = r.Dim ?? throw ManifestReader.Missing(file, section + ".dim");
        var k = r.K ?? throw ManifestReader.Missing(file, section + ".k");
        if (count < 1)
        {
            throw new ModelLoadException(file, section + ".count", "at least 1", ManifestReader.Num(count));
        }

        if (k < 1 || k > count)
        {
            throw new ModelLoadException(file, section + ".k", $"an integer from 1 to count ({count})", ManifestReader.Num(k));
        }

        if (dim < 1 || (long)count * dim * sizeof(float) > ModelLimits.MaxReferenceBytes)
        {
            throw new ModelLoadException(file, section + ".dim", $"at least 1, count·dim·4 at most {ModelLimits.MaxReferenceBytes} bytes", ManifestReader.Num(dim));
        }

        return new LatentReferencesFile(r.File, r.Sha256, k, count, dim);
    }

    private static SsimWindow ReadWindow(AnomalyJson.Window? w, string file)
    {
        if (w is null)
        {
            throw ManifestReader.Missing(file, "anomaly.ssim");
        }

        var size = w.Size ?? throw ManifestReader.Missing(file, "anomaly.ssim.window");
        if (size is < 1 or > 64)
        {
            throw new ModelLoadException(file, "anomaly.ssim.window", "an integer from 1 to 64", ManifestReader.Num(size));
        }

        double Positive(double? v, string name) => v is { } x && double.IsFinite(x) && x > 0
            ? x
            : throw new ModelLoadException(file, "anomaly.ssim." + name, "a positive number", v is { } y ? ManifestReader.Num(y) : "missing");

        if (w.DataRange is { } range && range != 1)
        {
            throw new ModelLoadException(file, "anomaly.ssim.data_range", "1", ManifestReader.Num(range));
        }

        if (w.Windows is { } windows && windows != "valid")
        {
            throw new ModelLoadException(file, "anomaly.ssim.windows", "\"valid\"", ManifestReader.Quote(windows));
        }

        return new SsimWindow { Size = size, Sigma = Positive(w.Sigma, "sigma"), K1 = Positive(w.K1, "k1"), K2 = Positive(w.K2, "k2") };
    }

    private static void CheckDefined(AnomalyScore score, bool variational, string file, string field)
    {
        if (score == AnomalyScore.NegativeElbo && !variational)
        {
            throw new ModelLoadException(file, field, "a score a plain autoencoder defines (neg_elbo is a VAE's)", "\"neg_elbo\"");
        }
    }
}
