namespace AeOnnx.Models;

/// <summary>
/// The manifest's <c>latent</c>: the latent size and, when the manifest carries them, the training-set
/// statistics (a bare graph pair has none). Every vector has <see cref="Dim"/> finite values.
/// </summary>
public sealed record LatentSpace
{
    /// <summary>Latent size D, 1 to <see cref="ModelLimits.MaxLatentDim"/>.</summary>
    public required int Dim { get; init; }

    /// <summary>Mean of the training-set latents (a VAE's encoder mean), D values; null without statistics.</summary>
    public IReadOnlyList<float>? Mean { get; init; }

    /// <summary>Per-dimension standard deviation of the same, D values; null when absent.</summary>
    public IReadOnlyList<float>? Std { get; init; }

    /// <summary>Covariance of the same, D rows of D values; null when absent.</summary>
    public IReadOnlyList<IReadOnlyList<float>>? Covariance { get; init; }

    /// <summary>Lower-triangular L with L·Lᵀ = covariance + 1e-6·I and a positive diagonal, D rows of D values; null when absent (then <see cref="Mean"/> may be too).</summary>
    public IReadOnlyList<IReadOnlyList<float>>? Cholesky { get; init; }

    /// <summary>Per-class centroids (empty when there are none); each has a label and D values.</summary>
    public IReadOnlyList<LatentClass> Classes { get; init; } = [];

    /// <summary>True when both <see cref="Mean"/> and <see cref="Cholesky"/> are present (sampling and outlier scores work).</summary>
    public bool HasDistribution => Mean is not null && Cholesky is not null;
}
