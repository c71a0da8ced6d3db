using AeOnnx.Anomaly;
using AeOnnx.Imaging;

namespace AeOnnx;

/// <summary>
/// Anomaly scores, decisions and error maps (docs/MODEL-FORMAT.md, anomaly): the scores a model's manifest
/// calibrates, computed from its two graphs, and thresholds from its calibration.
/// </summary>
public static class AutoencoderAnomalyExtensions
{
    /// <summary>The model's calibrated threshold for a false-positive rate on normal images.</summary>
    /// <param name="model">A model whose manifest has an <c>anomaly</c> block.</param>
    /// <param name="falsePositiveRate">Between 0 and 1 (exclusive), e.g. 0.01.</param>
    /// <param name="score">The score; null: the calibration's default.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="InvalidOperationException">The model is not calibrated.</exception>
    public static AnomalyThreshold AnomalyThreshold(this Autoencoder model, double falsePositiveRate, AnomalyScore? score = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var calibration = model.Manifest.Anomaly
            ?? throw new InvalidOperationException($"Model '{model.Name}' has no anomaly calibration in its manifest (calibrate it: training-scripts/calibrate.py --model FOLDER).");
        return Anomaly.AnomalyThreshold.ForFalsePositiveRate(calibration, falsePositiveRate, score);
    }

    /// <summary>
    /// What <paramref name="model"/> lacks to compute <paramref name="score"/>, in words for a message ("that
    /// needs …"); null when it can. The one rule the CLI and the service check requests against before any work.
    /// </summary>
    internal static string? MissingFor(this Autoencoder model, AnomalyScore score)
    {
        var calibration = model.Manifest.Anomaly;
        return score switch
        {
            AnomalyScore.Mahalanobis or AnomalyScore.LatentKnn when model.LatentDistribution is null => "latent statistics (latent.mean, latent.cholesky)",
            AnomalyScore.LatentKnn when calibration?.Neighbours is null => "reference latents (anomaly.latent_knn and its reference-latents.bin, written by calibrate.py when a term uses latent_knn)",
            AnomalyScore.NegativeElbo when !model.IsVariational => "a variational encoder (neg_elbo is a VAE's score)",
            AnomalyScore.NegativeElbo when calibration?.LikelihoodSigma is null => "the calibrated likelihood sigma (anomaly.likelihood_sigma)",
            AnomalyScore.Combined when calibration is null => "an anomaly calibration (the combined score's terms)",
            AnomalyScore.Combined when calibration.CombinedTerms.Select(t => t.Score).Where(t => t != AnomalyScore.Combined).Select(model.MissingFor).FirstOrDefault(m => m is not null) is { } term => term,
            _ => null,
        };
    }

    /// <summary>Scores one preprocessed image tensor (reconstructs it first).</summary>
    /// <param name="model">The model.</param>
    /// <param name="image">Normalized NCHW floats, <see cref="Autoencoder.PixelCount"/> of them.</param>
    /// <param name="threshold">The decision rule; null: scores only.</param>
    /// <returns>Scores, decision and error map.</returns>
    public static AnomalyResult ScoreAnomaly(this Autoencoder model, ReadOnlySpan<float> image, AnomalyThreshold? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.ScoreAnomaly(model.Reconstruct(image), threshold);
    }

    /// <summary>Scores an image file (decoded and preprocessed by the manifest's rules).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The image file.</param>
    /// <param name="threshold">The decision rule; null: scores only.</param>
    /// <returns>Scores, decision and error map.</returns>
    public static AnomalyResult ScoreAnomaly(this Autoencoder model, string path, AnomalyThreshold? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.ScoreAnomaly(model.Reconstruct(path), threshold);
    }

    /// <summary>Scores an image in memory.</summary>
    /// <param name="model">The model.</param>
    /// <param name="image">The image (converted to the model's color and size).</param>
    /// <param name="threshold">The decision rule; null: scores only.</param>
    /// <returns>Scores, decision and error map.</returns>
    public static AnomalyResult ScoreAnomaly(this Autoencoder model, ImageData image, AnomalyThreshold? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.ScoreAnomaly(model.Reconstruct(image), threshold);
    }

    /// <summary>
    /// Scores a reconstruction already made (e.g. by a folder pipeline). A calibrated VAE's −ELBO needs the
    /// encoder's log-variance, which costs one more encoder run.
    /// </summary>
    /// <param name="model">The model that made it.</param>
    /// <param name="reconstruction">Input tensor, latent and output of one image.</param>
    /// <param name="threshold">The decision rule; null: scores only.</param>
    /// <param name="logVariance">A VAE encoder's log-variance for this image when the caller has it (a folder pipeline does); null: computed.</param>
    /// <returns>Scores, decision and error map.</returns>
    /// <exception cref="InvalidOperationException">The threshold's score is one this model cannot compute.</exception>
    public static AnomalyResult ScoreAnomaly(this Autoencoder model, Reconstruction reconstruction, AnomalyThreshold? threshold = null, float[]? logVariance = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reconstruction);
        TensorArguments.CheckExact(reconstruction.Input.Length, model.PixelCount, nameof(reconstruction));
        TensorArguments.CheckExact(reconstruction.Output.Length, model.PixelCount, nameof(reconstruction));
        var calibration = model.Manifest.Anomaly;
        var scores = new SortedDictionary<AnomalyScore, double>
        {
            [AnomalyScore.Mse] = reconstruction.Error.Mse,
            [AnomalyScore.Ssim] = AnomalyScoring.OneMinusSsim(model.Images, reconstruction.Input, reconstruction.Output, calibration?.Ssim ?? AnomalyScoring.DefaultSsim),
        };
        if (model.LatentDistribution is { } gaussian)
        {
            scores[AnomalyScore.Mahalanobis] = gaussian.Mahalanobis(reconstruction.Latent);
            if (calibration?.Neighbours is { } neighbours)
            {
                scores[AnomalyScore.LatentKnn] = neighbours.Distance(reconstruction.Latent);
            }
        }

        if (model.IsVariational && calibration?.LikelihoodSigma is { } sigma)
        {
            var mean = reconstruction.Latent;
            if (logVariance is null || logVariance.Length != model.LatentDim)
            {
                mean = new float[model.LatentDim];
                logVariance = new float[model.LatentDim];
                model.EncodeTensor(reconstruction.Input, mean, logVariance);
            }

            scores[AnomalyScore.NegativeElbo] = AnomalyScoring.NegativeElbo(reconstruction.Error.Mse, model.PixelCount, sigma, mean, logVariance);
        }

        if (calibration is not null && calibration.CombinedTerms.All(t => scores.ContainsKey(t.Score)))
        {
            scores[AnomalyScore.Combined] = calibration.Combine(s => scores[s]);
        }

        var kind = threshold?.Score ?? calibration?.DefaultScore ?? AnomalyScore.Mse;
        if (!scores.ContainsKey(kind))
        {
            throw new InvalidOperationException($"Model '{model.Name}' cannot compute the anomaly score {kind.Name()} (it has {string.Join(", ", scores.Keys.Select(k => k.Name()))}).");
        }

        return new AnomalyResult
        {
            Scores = scores.AsReadOnly(),
            ScoreKind = kind,
            Threshold = threshold,
            ErrorMap = AnomalyScoring.ErrorMap(model.Images, reconstruction.Input, reconstruction.Output),
            Reconstruction = reconstruction,
        };
    }
}
