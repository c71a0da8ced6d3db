namespace AeOnnx.Models;

/// <summary>
/// The manifest's <c>input</c>: the image the encoder takes and how pixels become floats
/// (docs/MODEL-FORMAT.md, "Preprocessing"). Values read from a manifest are checked
/// (<see cref="ModelManifest"/>); an <see cref="Imaging.ImageConverter"/> checks one built by hand.
/// </summary>
public sealed record ImageSpec
{
    /// <summary>Number of channels: 1 (<see cref="ImageColor.Gray"/>) or 3 (<see cref="ImageColor.Rgb"/>).</summary>
    public required int Channels { get; init; }

    /// <summary>Model image height in pixels, 1 to <see cref="ModelLimits.MaxImageSide"/>.</summary>
    public required int Height { get; init; }

    /// <summary>Model image width in pixels, 1 to <see cref="ModelLimits.MaxImageSide"/>.</summary>
    public required int Width { get; init; }

    /// <summary>The color the encoder expects (gray for 1 channel, RGB for 3).</summary>
    public required ImageColor Color { get; init; }

    /// <summary>Pixels are divided by this first (usually 255); positive and finite.</summary>
    public float Scale { get; init; } = 255f;

    /// <summary>Per-channel mean subtracted after scaling; one finite value per channel.</summary>
    public required IReadOnlyList<float> Mean { get; init; }

    /// <summary>Per-channel standard deviation divided by after the mean; one finite non-zero value per channel.</summary>
    public required IReadOnlyList<float> Std { get; init; }

    /// <summary>The resampler used when an image is not model size.</summary>
    public ResizeMethod Resize { get; init; } = ResizeMethod.Bilinear;

    /// <summary>
    /// JPEG DCT-domain downscaling before the resize (<c>jpeg_draft</c>): a JPEG at least twice the model
    /// size in both dimensions is decoded at 1/2, 1/4 or 1/8 scale (PIL's <c>draft</c>). Missing in a
    /// manifest means false (manifests written before the field).
    /// </summary>
    public bool JpegDraft { get; init; }

    /// <summary>Floats in one image tensor: channels × height × width (at most <see cref="ModelLimits.MaxImageValues"/>).</summary>
    public int PixelCount => Channels * Height * Width;
}
