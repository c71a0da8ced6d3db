namespace AeOnnx.Latents;

/// <summary>Distance used by <see cref="LatentMath.Nearest"/> and <see cref="LatentMath.Distance"/>.</summary>
public enum DistanceMetric
{
    /// <summary>Euclidean (L2) distance.</summary>
    Euclidean,

    /// <summary>Cosine distance, 1 − cos(a, b), in [0, 2]; 1 when either vector is zero.</summary>
    Cosine,
}
