namespace AeOnnx.ML;

/// <summary>
/// Options for <see cref="AutoencoderTransforms.AnomalyScore(AutoencoderAnomalyOptions)"/> and
/// <see cref="AutoencoderTransforms.DetectAnomalies(AutoencoderAnomalyOptions)"/>: each row's anomaly score
/// (the model's calibrated default score, docs/MODEL-FORMAT.md anomaly; MSE for a model without calibration)
/// and, for detection, the decision from the calibrated threshold. The default column names are the ones
/// <c>mlContext.AnomalyDetection.Evaluate</c> reads.
/// </summary>
public sealed class AutoencoderAnomalyOptions : AutoencoderColumnOptions
{
    /// <summary>The normalized pixel vector column, Vector&lt;Single, C·H·W&gt;, or an ML.NET <c>MLImage</c> column. Default "Pixels".</summary>
    public override string InputColumnName { get; set; } = "Pixels";

    /// <summary>The Single score column to add, larger = more anomalous. Default "Score".</summary>
    public override string OutputColumnName { get; set; } = "Score";

    /// <summary>Detection: the Boolean column to add, true for an anomaly (score above the threshold). Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>
    /// Detection: the false-positive rate on normal images the threshold is calibrated for (the 1 − rate quantile
    /// of the score over the model's held-out normal images). Default 0.01. Ignored when <see cref="Threshold"/> is set.
    /// </summary>
    public double FalsePositiveRate { get; set; } = 0.01;

    /// <summary>Detection: a threshold given directly (a row is an anomaly when its score is greater); null: from <see cref="FalsePositiveRate"/>.</summary>
    public double? Threshold { get; set; }
}
