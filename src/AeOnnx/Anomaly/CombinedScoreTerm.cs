namespace AeOnnx.Anomaly;

/// <summary>
/// One term of the combined score: <c>(f(score) − Mean) / Std</c>, Mean and Std (population) of f(score)
/// over the calibration images.
/// </summary>
public sealed record CombinedScoreTerm
{
    /// <summary>The score (never <see cref="AnomalyScore.Combined"/>).</summary>
    public required AnomalyScore Score { get; init; }

    /// <summary>f: identity or log.</summary>
    public required ScoreTransform Transform { get; init; }

    /// <summary>Mean of f(score) over the calibration images.</summary>
    public required double Mean { get; init; }

    /// <summary>Population standard deviation of f(score) over the calibration images, &gt; 0.</summary>
    public required double Std { get; init; }

    /// <summary>This term's standardised value for a raw score.</summary>
    /// <param name="score">The raw score.</param>
    /// <returns>(f(score) − Mean) / Std.</returns>
    public double Apply(double score)
    {
        var f = Transform == ScoreTransform.Log ? Math.Log(Math.Max(score, 1e-12)) : score;
        return (f - Mean) / Std;
    }
}
