namespace AeOnnx.Imaging;

/// <summary>
/// Limits checked from the file size and the image header before any pixels are decoded,
/// so a crafted or huge file is refused without allocating its pixel buffer.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>Default limits: 64 MiB per file, 40 megapixels per image.</summary>
    public static ImageLimits Default { get; } = new();

    /// <summary>Largest accepted file (or stream) size in bytes. Default 64 MiB.</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Largest accepted width × height of the first frame. Default 40,000,000.</summary>
    public long MaxPixels { get; init; } = 40_000_000;
}
