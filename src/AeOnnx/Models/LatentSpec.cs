namespace AeOnnx.Models;

/// <summary>The manifest's <c>latent</c> object: latent size and statistics over the training set.</summary>
public sealed record LatentSpec
{
    /// <summary>Latent size D.</summary>
    public int Dim { get; init; }

    /// <summary>Mean of the training-set latents (VAE: of the encoder mean), length D; null for a bare graph pair.</summary>
    public float[]? Mean { get; init; }

    /// <summary>Per-dimension standard deviation of the same, length D.</summary>
    public float[]? Std { get; init; }

    /// <summary>Covariance of the same, D rows of D values.</summary>
    public float[][]? Covariance { get; init; }

    /// <summary>Lower-triangular L with L·Lᵀ = covariance + 1e-6·I, D rows of D values.</summary>
    public float[][]? Cholesky { get; init; }

    /// <summary>Optional per-class centroids.</summary>
    public IReadOnlyList<LatentClass>? Classes { get; init; }
}
