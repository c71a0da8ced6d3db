using SkiaSharp;

namespace AeOnnx.Imaging;

/// <summary>
/// Decodes the first frame of the formats of the registry (<see cref="ImageFormats"/>)
/// with Skia (libpng, libjpeg-turbo, libwebp, Skia's GIF and BMP codecs): the format is
/// recognized from its signature, the header is read first and checked against
/// <see cref="ImageLimits"/> (pixels, decoding work) before any pixel buffer is allocated, and
/// pixels come out in the layout the conversion needs, with no color-space
/// transform (PIL applies none either). Thread-safe: all state is per call.
/// </summary>
internal sealed class ImageDecoder(ImageLimits limits)
{
    public ImageLimits Limits { get; } = limits;

    /// <summary>
    /// The JPEG DCT-domain scale denominator (8, 4, 2 or 1) for an image of
    /// <paramref name="width"/>×<paramref name="height"/> feeding a model of
    /// <paramref name="targetWidth"/>×<paramref name="targetHeight"/>: the largest s with
    /// <c>width ≥ s·targetWidth</c> and <c>height ≥ s·targetHeight</c> (PIL's <c>draft</c> rule), so the
    /// scaled image, <c>ceil(width/s)</c>×<c>ceil(height/s)</c>, is never smaller than the model.
    /// </summary>
    public static int DraftScale(int width, int height, int targetWidth, int targetHeight)
    {
        var scale = Math.Min(width / targetWidth, height / targetHeight);
        return scale >= 8 ? 8 : scale >= 4 ? 4 : scale >= 2 ? 2 : 1;
    }

    /// <summary>
    /// What <see cref="Decode"/> would decode, from the header alone (no pixel buffer): the width and
    /// height after JPEG draft scaling and the bytes per pixel. The same checks and refusals as decoding.
    /// </summary>
    public unsafe (int Width, int Height, int BytesPerPixel) Measure(EncodedBytes encoded, string name, int draftWidth = 0, int draftHeight = 0)
    {
        fixed (byte* start = encoded.Buffer)
        {
            using var data = SKData.Create((IntPtr)start, encoded.Length);
            using var stream = new SKMemoryStream(data);
            using var codec = Open(encoded, stream, name, out var format);
            var (layout, width, height) = Plan(codec, format, name, draftWidth, draftHeight);
            return (width, height, DecodedPixels.BytesPerPixel(layout));
        }
    }

    /// <summary>Decodes the first frame.</summary>
    /// <param name="encoded">The whole encoded file.</param>
    /// <param name="name">The file or stream name for messages.</param>
    /// <param name="draftWidth">With <paramref name="draftHeight"/>: the model size a JPEG may be
    /// DCT-scaled down to (see <see cref="DraftScale"/>); 0 decodes at full size.</param>
    /// <param name="draftHeight">See <paramref name="draftWidth"/>.</param>
    public unsafe DecodedPixels Decode(EncodedBytes encoded, string name, int draftWidth = 0, int draftHeight = 0)
    {
        fixed (byte* start = encoded.Buffer)
        {
            // No copy: Skia reads the pooled buffer in place while it is pinned here.
            using var data = SKData.Create((IntPtr)start, encoded.Length);
            using var stream = new SKMemoryStream(data);
            using var codec = Open(encoded, stream, name, out var format);
            var (layout, width, height) = Plan(codec, format, name, draftWidth, draftHeight);
            var bytesPerPixel = DecodedPixels.BytesPerPixel(layout);
            var colorType = layout switch
            {
                PixelLayout.Gray8 => SKColorType.Gray8,
                PixelLayout.Rgba8888 => SKColorType.Rgba8888,
                _ => SKColorType.RgbaF32,
            };

            // Unpremultiplied, no color space: the stored color of a transparent pixel survives
            // (the contract drops alpha; it does not composite) and no ICC/gamma transform runs.
            var target = new SKImageInfo(width, height, colorType, codec.Info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
            var pixels = new DecodedPixels(width, height, layout);
            try
            {
                SKCodecResult result;
                fixed (byte* destination = pixels.Buffer)
                {
                    result = codec.GetPixels(target, (IntPtr)destination, width * bytesPerPixel, new SKCodecOptions(0));
                }

                switch (result)
                {
                    case SKCodecResult.Success:
                        return pixels;
                    case SKCodecResult.InvalidConversion or SKCodecResult.Unimplemented:
                        throw new ImageLoadException(name, ImageLoadError.UnsupportedFormat, $"a {codec.EncodedFormat} variant the decoder does not implement ({Describe(result)}).");
                    default:
                        throw new ImageLoadException(name, ImageLoadError.Corrupt, $"{Describe(result)} (Skia: {result}).");
                }
            }
            catch
            {
                pixels.Dispose();
                throw;
            }
        }
    }

    /// <summary>Recognizes the format by signature, bounds a JPEG's scans, and opens Skia's codec on the header.</summary>
    private SKCodec Open(EncodedBytes encoded, SKMemoryStream stream, string name, out ImageFormat format)
    {
        var bytes = encoded.Span;
        format = ImageFormats.Detect(bytes) ?? throw Unsupported(name);
        if (format == ImageFormats.Jpeg)
        {
            var scans = JpegScans.Count(bytes, Limits.MaxJpegScans);
            if (scans > Limits.MaxJpegScans)
            {
                throw new ImageLoadException(name, ImageLoadError.TooLarge, $"the JPEG has more than {Limits.MaxJpegScans} scans (the limit that bounds decoding work per image).");
            }
        }

        var codec = SKCodec.Create(stream, out var created);
        if (codec is null)
        {
            // Skia reports most header failures (truncation, bad CRC, impossible values) as
            // IncompleteInput, so the message names the format and Skia's code, not a guess.
            throw new ImageLoadException(name, ImageLoadError.Corrupt, $"the {format.Name.ToUpperInvariant()} header cannot be read (Skia: {created}).");
        }

        // Skia sniffs on its own: what it found must be one of the registry's formats too.
        if (!IsRegistered(codec.EncodedFormat))
        {
            codec.Dispose();
            throw Unsupported(name);
        }

        return codec;
    }

    /// <summary>The header's limits, the layout to decode into, and the size after JPEG draft scaling.</summary>
    private (PixelLayout Layout, int Width, int Height) Plan(SKCodec codec, ImageFormat format, string name, int draftWidth, int draftHeight)
    {
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageLoadException(name, ImageLoadError.Corrupt, $"the header says {info.Width}x{info.Height} pixels.");
        }

        if ((long)info.Width * info.Height > Limits.MaxPixels)
        {
            throw new ImageLoadException(name, ImageLoadError.TooLarge, $"{info.Width}x{info.Height} pixels exceeds the limit of {Limits.MaxPixels} pixels.");
        }

        var layout = info.ColorType switch
        {
            SKColorType.Gray8 => PixelLayout.Gray8,

            // Skia reports a 16-bit source as a wide color type.
            SKColorType.RgbaF16 or SKColorType.Rgba16161616 or SKColorType.RgbaF32 or SKColorType.RgbaF16Clamped => PixelLayout.RgbaF32,
            _ => PixelLayout.Rgba8888,
        };

        var (width, height) = (info.Width, info.Height);
        if (format == ImageFormats.Jpeg && draftWidth > 0 && draftHeight > 0)
        {
            var scale = DraftScale(width, height, draftWidth, draftHeight);
            if (scale > 1)
            {
                var scaled = codec.GetScaledDimensions(1f / scale);
                (width, height) = (scaled.Width, scaled.Height);
            }
        }

        if ((long)width * height * DecodedPixels.BytesPerPixel(layout) > Array.MaxLength)
        {
            throw new ImageLoadException(name, ImageLoadError.TooLarge, $"{width}x{height} pixels do not fit in one buffer.");
        }

        return (layout, width, height);
    }

    private static bool IsRegistered(SKEncodedImageFormat skiaFormat)
    {
        var name = skiaFormat.ToString();
        foreach (var format in ImageFormats.All)
        {
            if (string.Equals(format.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the pixel data ends early or cannot be decompressed",
        SKCodecResult.ErrorInInput => "the pixel data is damaged",
        SKCodecResult.InvalidInput => "the data is invalid",
        SKCodecResult.Unimplemented => "not implemented by the decoder",
        SKCodecResult.InvalidConversion => "no conversion to the needed pixel format",
        _ => "the decoder failed",
    };

    private static ImageLoadException Unsupported(string name) =>
        new(name, ImageLoadError.UnsupportedFormat, $"not a {ImageFormats.Names} image.");
}
