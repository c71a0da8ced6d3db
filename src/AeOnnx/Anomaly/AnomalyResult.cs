namespace AeOnnx.Anomaly;

/// <summary>One image's anomaly scores, the decision when a threshold was given, and where the error is.</summary>
public sealed record AnomalyResult
{
    /// <summary>
    /// Every score the model defines for this image: <see cref="AnomalyScore.Mse"/> and <see cref="AnomalyScore.Ssim"/>
    /// always, <see cref="AnomalyScore.Mahalanobis"/> with latent statistics, <see cref="AnomalyScore.NegativeElbo"/>
    /// for a calibrated VAE, <see cref="AnomalyScore.Combined"/> with a calibration.
    /// </summary>
    public required IReadOnlyDictionary<AnomalyScore, double> Scores { get; init; }

    /// <summary>Which score <see cref="Score"/> is: the threshold's, else the calibration's default, else MSE.</summary>
    public required AnomalyScore ScoreKind { get; init; }

    /// <summary>The image's value of <see cref="ScoreKind"/>.</summary>
    public double Score => Scores[ScoreKind];

    /// <summary>The rule applied; null when none was asked for.</summary>
    public AnomalyThreshold? Threshold { get; init; }

    /// <summary>True when the score is above the threshold; null without a threshold.</summary>
    public bool? IsAnomaly => Threshold is { } t ? t.IsAnomalous(Score) : null;

    /// <summary>
    /// Where the reconstruction differs: squared error per pixel in [0,1] pixel space, averaged over channels,
    /// row-major <c>Height × Width</c> (its mean is <see cref="AnomalyScore.Mse"/>).
    /// </summary>
    public required float[] ErrorMap { get; init; }

    /// <summary>The input tensor, latent and reconstruction the scores come from.</summary>
    public required Reconstruction Reconstruction { get; init; }
}
