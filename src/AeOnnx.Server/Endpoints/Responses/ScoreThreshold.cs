namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>A decision rule: anomalous when the score is greater than <paramref name="Value"/>.</summary>
/// <param name="Value">The threshold.</param>
/// <param name="FalsePositiveRate">The false-positive rate on held-out normal images it was calibrated for; null for a threshold given in the request.</param>
/// <param name="CalibrationImages">How many held-out normal images the calibration used; null for a given threshold.</param>
internal sealed record ScoreThreshold(double Value, double? FalsePositiveRate, int? CalibrationImages);
