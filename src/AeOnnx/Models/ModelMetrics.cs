using System.Text.Json.Serialization;

namespace AeOnnx.Models;

/// <summary>The manifest's <c>metrics</c>: test-set quality measured at export time (each value optional).</summary>
public sealed record ModelMetrics
{
    /// <summary>Mean squared error in [0,1] pixel space.</summary>
    public double? Mse { get; init; }

    /// <summary>Peak signal-to-noise ratio in dB.</summary>
    public double? Psnr { get; init; }

    /// <summary>Structural similarity.</summary>
    public double? Ssim { get; init; }

    /// <summary>MSE of a PCA baseline with the same latent size.</summary>
    [JsonPropertyName("pca_mse")]
    public double? PcaMse { get; init; }

    /// <summary>Evidence lower bound (VAE only).</summary>
    public double? Elbo { get; init; }

    /// <summary>Number of test images measured.</summary>
    [JsonPropertyName("test_count")]
    public int? TestCount { get; init; }
}
