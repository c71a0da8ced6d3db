namespace AeOnnx.Anomaly;

/// <summary>
/// A model's calibrated anomaly scores (the manifest's optional <c>anomaly</c> block, format
/// <c>aeonnx.anomaly/1</c>, docs/MODEL-FORMAT.md): how each score is computed and its values over
/// held-out normal images, from which a threshold for a false-positive rate follows. Validated on read.
/// </summary>
public sealed record AnomalyCalibration
{
    /// <summary>The block format this library reads.</summary>
    public const string CurrentFormat = "aeonnx.anomaly/1";

    /// <summary>The model's default score (<c>anomaly.score</c>); always one of <see cref="Scores"/>.</summary>
    public required AnomalyScore DefaultScore { get; init; }

    /// <summary>The SSIM score's window.</summary>
    public required SsimWindow Ssim { get; init; }

    /// <summary>The combined score's terms (at least one).</summary>
    public required IReadOnlyList<CombinedScoreTerm> CombinedTerms { get; init; }

    /// <summary>A VAE's likelihood σ (for <see cref="AnomalyScore.NegativeElbo"/>); null for a plain autoencoder.</summary>
    public double? LikelihoodSigma { get; init; }

    /// <summary>The <see cref="AnomalyScore.LatentKnn"/> score's reference latents and k; null when the block has none.</summary>
    public LatentNeighbours? Neighbours { get; init; }

    /// <summary>Where the references are (the block's <c>latent_knn</c> entry), for the loader.</summary>
    internal LatentReferencesFile? ReferencesFile { get; init; }

    /// <summary>How many held-out normal images the calibration scored.</summary>
    public required int CalibrationImages { get; init; }

    /// <summary>Where they came from (<c>validation split</c> or a folder's description).</summary>
    public string CalibrationSource { get; init; } = string.Empty;

    /// <summary>Each calibrated score's statistics and sorted values.</summary>
    public required IReadOnlyDictionary<AnomalyScore, ScoreCalibration> Scores { get; init; }

    /// <summary>The threshold of a score for a false-positive rate (see <see cref="ScoreCalibration.ThresholdForFalsePositiveRate"/>).</summary>
    /// <param name="falsePositiveRate">Between 0 and 1 (exclusive).</param>
    /// <param name="score">The score; null: <see cref="DefaultScore"/>.</param>
    /// <returns>The threshold.</returns>
    /// <exception cref="ArgumentException">The model has no calibration of that score.</exception>
    public double Threshold(double falsePositiveRate, AnomalyScore? score = null)
    {
        var s = score ?? DefaultScore;
        if (!Scores.TryGetValue(s, out var calibration))
        {
            throw new ArgumentException($"the model's anomaly block has no calibrated score {s.Name()} (it has {string.Join(", ", Scores.Keys.Select(k => k.Name()))}).", nameof(score));
        }

        return calibration.ThresholdForFalsePositiveRate(falsePositiveRate);
    }

    /// <summary>The combined score from the raw scores its terms name.</summary>
    /// <param name="raw">A raw score by kind (every term's score must be there).</param>
    /// <returns>Σ (f(score) − mean) / std over <see cref="CombinedTerms"/>.</returns>
    public double Combine(Func<AnomalyScore, double> raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var total = 0.0;
        foreach (var t in CombinedTerms)
        {
            total += t.Apply(raw(t.Score));
        }

        return total;
    }
}
