namespace AeOnnx.Imaging;

/// <summary>
/// Limits checked from the file size and the image header before any pixels are decoded,
/// so a crafted or huge file is refused without allocating its pixel buffer or spending
/// unbounded decoding work on it.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>Default limits: 64 MiB per file, 40 megapixels per image, 200 JPEG scans.</summary>
    public static ImageLimits Default { get; } = new();

    /// <summary>Largest accepted file (or stream) size in bytes. Default 64 MiB.</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Largest accepted width × height of the first frame. Default 40,000,000.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>
    /// Most scans (SOS segments) accepted in one JPEG. Each scan of a progressive JPEG costs the
    /// decoder a pass over the image's blocks, so a file that repeats a tiny scan thousands of times
    /// (a scan bomb) would hold a worker for minutes; it is refused as too large instead. Real
    /// progressive JPEGs have about 10 scans (libjpeg's default script), rarely more than 30.
    /// Default 200.
    /// </summary>
    public int MaxJpegScans { get; init; } = 200;
}
