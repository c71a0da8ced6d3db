namespace AeOnnx.Models;

/// <summary>The manifest's <c>input</c> object: the image the encoder expects and how pixels become floats.</summary>
public sealed record InputSpec
{
    /// <summary>Number of channels: 1 (gray) or 3 (RGB).</summary>
    public int Channels { get; init; }

    /// <summary>Model image height in pixels.</summary>
    public int Height { get; init; }

    /// <summary>Model image width in pixels.</summary>
    public int Width { get; init; }

    /// <summary><c>gray</c> or <c>rgb</c>.</summary>
    public string? Color { get; init; }

    /// <summary>Tensor layout; always <c>NCHW</c>.</summary>
    public string? Layout { get; init; }

    /// <summary>Pixels are divided by this first (usually 255).</summary>
    public float Scale { get; init; }

    /// <summary>Per-channel mean subtracted after scaling.</summary>
    public float[]? Mean { get; init; }

    /// <summary>Per-channel standard deviation divided by after subtracting the mean.</summary>
    public float[]? Std { get; init; }

    /// <summary>Resampler used when an image is not model size: <c>bilinear</c>, <c>bicubic</c> or <c>nearest</c>.</summary>
    public string? Resize { get; init; }

    /// <summary>RGB to gray rule; <c>bt601</c> (PIL's <c>convert("L")</c>) is the only one defined.</summary>
    public string? Gray { get; init; }

    /// <summary>Alpha handling; <c>ignore</c> (dropped, not composited) is the only one defined.</summary>
    public string? Alpha { get; init; }

    /// <summary>
    /// JPEG DCT-domain downscaling before the resize: when true, a JPEG at least twice the model size
    /// in both dimensions is decoded at 1/2, 1/4 or 1/8 scale (the largest s with width ≥ s·model width
    /// and height ≥ s·model height; PIL's <c>draft</c>), then converted and resized as usual.
    /// Missing or false: decoded at full size (manifests written before the field existed).
    /// </summary>
    public bool? JpegDraft { get; init; }

    /// <summary>Number of floats in one image tensor: channels × height × width.</summary>
    public int PixelCount => Channels * Height * Width;
}
