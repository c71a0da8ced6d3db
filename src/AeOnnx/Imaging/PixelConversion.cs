using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Imaging;

/// <summary>
/// The color rules of the contract (docs/MODEL-FORMAT.md, "Preprocessing", step 2): gray by the
/// integer BT.601 rule, gray replicated into RGB, alpha dropped (not composited), 16-bit channels
/// reduced by <c>v &gt;&gt; 8</c>. One implementation for decoded files and one for ImageSharp images
/// that callers pass in, both ending in the model's color at the image's own size.
/// </summary>
internal static class PixelConversion
{
    /// <summary>The 8-bit integer BT.601 rule (PIL's <c>convert("L")</c>).</summary>
    public static byte GrayBt601(byte r, byte g, byte b) => (byte)(((r * 19595) + (g * 38470) + (b * 7471) + 32768) >> 16);

    /// <summary>Converts decoded pixels to the model's color, interleaved (gray: 1 byte, RGB: 3 bytes per pixel).</summary>
    public static void ToModelColor(DecodedPixels source, bool gray, Span<byte> destination)
    {
        var count = source.Width * source.Height;
        var bytes = source.Bytes;
        switch (source.Layout)
        {
            case PixelLayout.Gray8 when gray:
                bytes[..count].CopyTo(destination);
                break;
            case PixelLayout.Gray8:
                for (var i = 0; i < count; i++)
                {
                    var v = bytes[i];
                    destination[3 * i] = v;
                    destination[(3 * i) + 1] = v;
                    destination[(3 * i) + 2] = v;
                }

                break;
            case PixelLayout.Rgba8888 when gray:
                for (var i = 0; i < count; i++)
                {
                    destination[i] = GrayBt601(bytes[4 * i], bytes[(4 * i) + 1], bytes[(4 * i) + 2]);
                }

                break;
            case PixelLayout.Rgba8888:
                for (var i = 0; i < count; i++)
                {
                    destination[3 * i] = bytes[4 * i];
                    destination[(3 * i) + 1] = bytes[(4 * i) + 1];
                    destination[(3 * i) + 2] = bytes[(4 * i) + 2];
                }

                break;
            default:
                var floats = source.Floats;
                for (var i = 0; i < count; i++)
                {
                    var (r, g, b) = (High8(floats[4 * i]), High8(floats[(4 * i) + 1]), High8(floats[(4 * i) + 2]));
                    if (gray)
                    {
                        destination[i] = GrayBt601(r, g, b);
                    }
                    else
                    {
                        destination[3 * i] = r;
                        destination[(3 * i) + 1] = g;
                        destination[(3 * i) + 2] = b;
                    }
                }

                break;
        }
    }

    /// <summary>Wraps decoded pixels in an ImageSharp image of the nearest pixel type (the public <c>LoadImage</c>).</summary>
    public static Image ToImageSharp(DecodedPixels source, Configuration configuration)
    {
        switch (source.Layout)
        {
            case PixelLayout.Gray8:
                return Image.LoadPixelData<L8>(configuration, source.Bytes, source.Width, source.Height);
            case PixelLayout.Rgba8888:
                return Image.LoadPixelData<Rgba32>(configuration, source.Bytes, source.Width, source.Height);
            default:
                var floats = source.Floats;
                var wide = new Rgba64[source.Width * source.Height];
                for (var i = 0; i < wide.Length; i++)
                {
                    wide[i] = new Rgba64(Wide(floats[4 * i]), Wide(floats[(4 * i) + 1]), Wide(floats[(4 * i) + 2]), Wide(floats[(4 * i) + 3]));
                }

                return Image.LoadPixelData<Rgba64>(configuration, wide, source.Width, source.Height);
        }
    }

    /// <summary>Any ImageSharp image (first frame) to gray by the contract's rules.</summary>
    public static Image<L8> ToGray(Image image, Configuration configuration)
    {
        // Already model color: BT.601 of (v, v, v) is v, so a copy is the exact conversion.
        if (image is Image<L8> gray && image.Frames.Count == 1)
        {
            return gray.Clone(configuration);
        }

        if (Is16Bit(image))
        {
            using var wide = CloneFirstFrameAs<Rgba64>(image, configuration);
            var result = new Image<L8>(configuration, wide.Width, wide.Height);
            wide.ProcessPixelRows(result, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    var s = source.GetRowSpan(y);
                    var t = target.GetRowSpan(y);
                    for (var x = 0; x < s.Length; x++)
                    {
                        t[x] = new L8(GrayBt601((byte)(s[x].R >> 8), (byte)(s[x].G >> 8), (byte)(s[x].B >> 8)));
                    }
                }
            });
            return result;
        }
        else
        {
            using var narrow = CloneFirstFrameAs<Rgba32>(image, configuration);
            var result = new Image<L8>(configuration, narrow.Width, narrow.Height);
            narrow.ProcessPixelRows(result, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    var s = source.GetRowSpan(y);
                    var t = target.GetRowSpan(y);
                    for (var x = 0; x < s.Length; x++)
                    {
                        t[x] = new L8(GrayBt601(s[x].R, s[x].G, s[x].B));
                    }
                }
            });
            return result;
        }
    }

    /// <summary>Any ImageSharp image (first frame) to RGB by the contract's rules.</summary>
    public static Image<Rgb24> ToRgb(Image image, Configuration configuration)
    {
        if (image is Image<Rgb24> rgb && image.Frames.Count == 1)
        {
            return rgb.Clone(configuration);
        }

        if (Is16Bit(image))
        {
            using var wide = CloneFirstFrameAs<Rgba64>(image, configuration);
            var result = new Image<Rgb24>(configuration, wide.Width, wide.Height);
            wide.ProcessPixelRows(result, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    var s = source.GetRowSpan(y);
                    var t = target.GetRowSpan(y);
                    for (var x = 0; x < s.Length; x++)
                    {
                        t[x] = new Rgb24((byte)(s[x].R >> 8), (byte)(s[x].G >> 8), (byte)(s[x].B >> 8));
                    }
                }
            });
            return result;
        }
        else
        {
            using var narrow = CloneFirstFrameAs<Rgba32>(image, configuration);
            var result = new Image<Rgb24>(configuration, narrow.Width, narrow.Height);
            narrow.ProcessPixelRows(result, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    var s = source.GetRowSpan(y);
                    var t = target.GetRowSpan(y);
                    for (var x = 0; x < s.Length; x++)
                    {
                        // Alpha is dropped, not composited: the contract's "ignore".
                        t[x] = new Rgb24(s[x].R, s[x].G, s[x].B);
                    }
                }
            });
            return result;
        }
    }

    // A 16-bit value v arrives as v / 65535 in float32, which rounds back to v exactly.
    private static byte High8(float value) => (byte)(Wide(value) >> 8);

    private static ushort Wide(float value) => (ushort)Math.Clamp(MathF.Round(value * 65535f), 0f, 65535f);

    // 16-bit channels are reduced by v >> 8 (the contract), which differs from ImageSharp's own
    // rounding 16→8 conversion, so these formats go through Rgba64 and are shifted here.
    private static bool Is16Bit(Image image) => image is Image<L16> or Image<La32> or Image<Rgb48> or Image<Rgba64>;

    private static Image<TPixel> CloneFirstFrameAs<TPixel>(Image image, Configuration configuration)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (image.Frames.Count > 1)
        {
            using var first = image.Frames.CloneFrame(0);
            return first.CloneAs<TPixel>(configuration);
        }

        return image.CloneAs<TPixel>(configuration);
    }
}
