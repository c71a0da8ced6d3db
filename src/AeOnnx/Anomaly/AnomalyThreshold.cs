namespace AeOnnx.Anomaly;

/// <summary>
/// A decision rule: an image is anomalous when its <see cref="Score"/> is greater than <see cref="Value"/>.
/// From a model's calibration (<see cref="ForFalsePositiveRate"/>) or given directly.
/// </summary>
/// <param name="Score">The score the rule compares.</param>
/// <param name="Value">The threshold.</param>
/// <param name="FalsePositiveRate">The false-positive rate on held-out normal images it was calibrated for; null for a threshold given directly.</param>
public sealed record AnomalyThreshold(AnomalyScore Score, double Value, double? FalsePositiveRate = null)
{
    /// <summary>The calibrated threshold of a score for a false-positive rate: the 1 − rate quantile of its calibration values.</summary>
    /// <param name="calibration">The model's calibration (<see cref="Models.ModelManifest.Anomaly"/>).</param>
    /// <param name="falsePositiveRate">Between 0 and 1 (exclusive), e.g. 0.01.</param>
    /// <param name="score">The score; null: the calibration's default score.</param>
    /// <returns>The rule.</returns>
    public static AnomalyThreshold ForFalsePositiveRate(AnomalyCalibration calibration, double falsePositiveRate, AnomalyScore? score = null)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        var s = score ?? calibration.DefaultScore;
        return new AnomalyThreshold(s, calibration.Threshold(falsePositiveRate, s), falsePositiveRate);
    }

    /// <summary>Whether a score value is anomalous under this rule (strictly greater than the threshold).</summary>
    /// <param name="value">The image's value of <see cref="Score"/>.</param>
    /// <returns>True when anomalous.</returns>
    public bool IsAnomalous(double value) => value > Value;
}
