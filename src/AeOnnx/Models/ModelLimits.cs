namespace AeOnnx.Models;

/// <summary>
/// Upper bounds the loader puts on a manifest's sizes. Each sizes an allocation (an image tensor,
/// a batch buffer, the latent statistics), so a manifest beyond them is refused before any work
/// instead of exhausting memory or overflowing a 32-bit count.
/// </summary>
public static class ModelLimits
{
    /// <summary>Largest model image height or width in pixels: 8192.</summary>
    public const int MaxImageSide = 8192;

    /// <summary>Most floats in one image tensor (channels × height × width): 2²⁴ = 16,777,216 (64 MiB).</summary>
    public const int MaxImageValues = 1 << 24;

    /// <summary>Largest latent size D: 65,536.</summary>
    public const int MaxLatentDim = 1 << 16;

    /// <summary>Largest manifest.json the loader reads: 64 MiB (a 65,536-dimensional latent's statistics fit; a device or endless file is cut there).</summary>
    public const long MaxManifestBytes = 64L * 1024 * 1024;

    /// <summary>Largest reference-latents file of the latent_knn score the loader reads: 256 MiB (training.py stores at most 10,000 latents).</summary>
    public const long MaxReferenceBytes = 256L * 1024 * 1024;

    /// <summary>Largest graph file the loader reads: what one byte array holds (ONNX's own protobuf limit is 2 GiB).</summary>
    public const long MaxGraphBytes = 0x7FFFFFC7;
}
