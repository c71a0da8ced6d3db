namespace AeOnnx.Models;

/// <summary>
/// The validated <c>input</c> of a model: the image the encoder takes and how pixels become floats.
/// Only the loader's validation creates it, so every value is present and in range.
/// </summary>
public sealed class ImageSpec
{
    internal ImageSpec(InputSpec source, float[] mean, float[] std, ImageColor color, ResizeMethod resize)
    {
        Source = source;
        Channels = source.Channels;
        Height = source.Height;
        Width = source.Width;
        Color = color;
        Scale = source.Scale;
        Mean = mean;
        Std = std;
        Resize = resize;
    }

    /// <summary>Number of channels: 1 (<see cref="ImageColor.Gray"/>) or 3 (<see cref="ImageColor.Rgb"/>).</summary>
    public int Channels { get; }

    /// <summary>Model image height in pixels, 1 to <see cref="ModelLimits.MaxImageSide"/>.</summary>
    public int Height { get; }

    /// <summary>Model image width in pixels, 1 to <see cref="ModelLimits.MaxImageSide"/>.</summary>
    public int Width { get; }

    /// <summary>The color the encoder expects.</summary>
    public ImageColor Color { get; }

    /// <summary>Pixels are divided by this first (usually 255); positive and finite.</summary>
    public float Scale { get; }

    /// <summary>Per-channel mean subtracted after scaling; one finite value per channel.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Per-channel standard deviation divided by after the mean; one finite non-zero value per channel.</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>The resampler used when an image is not model size.</summary>
    public ResizeMethod Resize { get; }

    /// <summary>True when a JPEG much larger than the model is decoded with DCT-domain downscaling (manifest <c>jpeg_draft</c>; missing means false).</summary>
    public bool JpegDraft => Source.JpegDraft == true;

    /// <summary>Floats in one image tensor: channels × height × width (at most <see cref="ModelLimits.MaxImageValues"/>).</summary>
    public int PixelCount => Channels * Height * Width;

    /// <summary>The manifest object this was validated from; what <see cref="Imaging.ImageConverter"/> reads.</summary>
    internal InputSpec Source { get; }
}
