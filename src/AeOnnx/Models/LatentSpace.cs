namespace AeOnnx.Models;

/// <summary>
/// The validated <c>latent</c> of a model: its size and, when the manifest carries them, the
/// training-set statistics (a bare graph pair has none). Every vector has <see cref="Dim"/> finite values.
/// </summary>
public sealed class LatentSpace
{
    internal LatentSpace(LatentSpec source)
    {
        Dim = source.Dim;
        Mean = source.Mean;
        Std = source.Std;
        Covariance = source.Covariance;
        Cholesky = source.Cholesky;
        Classes = source.Classes ?? [];
    }

    /// <summary>Latent size D, 1 to <see cref="ModelLimits.MaxLatentDim"/>.</summary>
    public int Dim { get; }

    /// <summary>Mean of the training-set latents (a VAE's encoder mean), D values; null without statistics.</summary>
    public IReadOnlyList<float>? Mean { get; }

    /// <summary>Per-dimension standard deviation of the same, D values; null when absent.</summary>
    public IReadOnlyList<float>? Std { get; }

    /// <summary>Covariance of the same, D rows of D values; null when absent.</summary>
    public IReadOnlyList<float[]>? Covariance { get; }

    /// <summary>Lower-triangular Cholesky factor with a positive diagonal, D rows of D values; null when absent (then <see cref="Mean"/> may be too).</summary>
    public IReadOnlyList<float[]>? Cholesky { get; }

    /// <summary>Per-class centroids (empty when there are none); each has a label and D values.</summary>
    public IReadOnlyList<LatentClass> Classes { get; }

    /// <summary>True when both <see cref="Mean"/> and <see cref="Cholesky"/> are present (sampling and outlier scores work).</summary>
    public bool HasDistribution => Mean is not null && Cholesky is not null;
}
