namespace AeOnnx.Anomaly;

/// <summary>How a score enters the combined score (<c>anomaly.combined.terms[].transform</c>).</summary>
public enum ScoreTransform
{
    /// <summary>The score itself (<c>identity</c>).</summary>
    Identity,

    /// <summary>The natural log of max(score, 1e-12) (<c>log</c>).</summary>
    Log,
}
