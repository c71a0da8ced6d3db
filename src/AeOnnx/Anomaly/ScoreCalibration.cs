namespace AeOnnx.Anomaly;

/// <summary>One score's values over the calibration images (held-out normal images): statistics and the sorted sample.</summary>
public sealed record ScoreCalibration
{
    /// <summary>Mean over the calibration images.</summary>
    public required double Mean { get; init; }

    /// <summary>Population standard deviation over the calibration images.</summary>
    public required double Std { get; init; }

    /// <summary>Every calibration image's score, ascending (at least one).</summary>
    public required IReadOnlyList<double> Sorted { get; init; }

    /// <summary>
    /// The q quantile of <see cref="Sorted"/>, linear between order statistics (numpy's default): h = (n − 1)·q,
    /// v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋]).
    /// </summary>
    /// <param name="q">Level in [0, 1].</param>
    /// <returns>The quantile.</returns>
    public double Quantile(double q)
    {
        if (!(q >= 0 && q <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "A quantile level is between 0 and 1.");
        }

        var h = (Sorted.Count - 1) * q;
        var lo = (int)Math.Floor(h);
        return lo + 1 >= Sorted.Count ? Sorted[^1] : Sorted[lo] + ((h - lo) * (Sorted[lo + 1] - Sorted[lo]));
    }

    /// <summary>
    /// The threshold above which a share <paramref name="falsePositiveRate"/> of normal images like the
    /// calibration ones falls: the 1 − rate quantile. An image is anomalous when its score is greater.
    /// </summary>
    /// <param name="falsePositiveRate">Between 0 and 1 (exclusive).</param>
    /// <returns>The threshold.</returns>
    public double ThresholdForFalsePositiveRate(double falsePositiveRate)
    {
        if (!(falsePositiveRate > 0 && falsePositiveRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(falsePositiveRate), falsePositiveRate, "A false-positive rate is between 0 and 1 (exclusive).");
        }

        return Quantile(1 - falsePositiveRate);
    }
}
