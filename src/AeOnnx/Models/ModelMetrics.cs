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

    /// <summary>Test MSE divided by <see cref="PcaMse"/>: below 1 the model beats PCA.</summary>
    [JsonPropertyName("pca_ratio")]
    public double? PcaRatio { get; init; }

    /// <summary>SSIM of the PCA baseline's reconstructions.</summary>
    [JsonPropertyName("pca_ssim")]
    public double? PcaSsim { get; init; }

    /// <summary>MSE of the training set's mean image: what a model that ignores its input reaches.</summary>
    [JsonPropertyName("mean_image_mse")]
    public double? MeanImageMse { get; init; }

    /// <summary>Evidence lower bound (VAE only).</summary>
    public double? Elbo { get; init; }

    /// <summary>Number of test images measured.</summary>
    [JsonPropertyName("test_count")]
    public int? TestCount { get; init; }

    /// <summary>
    /// Plain sentences the export wrote when the model does not beat its baselines (worse than PCA
    /// with as many components as the latent, or than the mean image); empty when it does, and in
    /// manifests written before the field. The rule lives in the export (Python); readers show them.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
