using System.Buffers.Binary;

namespace AeOnnx.Imaging;

/// <summary>
/// The color rules of the contract (docs/MODEL-FORMAT.md, "Preprocessing", step 2): gray by the
/// integer BT.601 rule, gray replicated into RGB, alpha dropped (not composited), 16-bit channels
/// reduced by <c>v &gt;&gt; 8</c>. One implementation for decoded files and one for <see cref="ImageData"/>
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

    /// <summary>Decoded pixels as an <see cref="ImageData"/> of the nearest format (the public <c>LoadImage</c>): Gray8, Rgba32, or Rgba64 for a 16-bit source.</summary>
    public static ImageData ToImageData(DecodedPixels source)
    {
        switch (source.Layout)
        {
            case PixelLayout.Gray8:
                return new ImageData(source.Width, source.Height, ImagePixelFormat.Gray8, source.Bytes.ToArray());
            case PixelLayout.Rgba8888:
                return new ImageData(source.Width, source.Height, ImagePixelFormat.Rgba32, source.Bytes.ToArray());
            default:
                var floats = source.Floats;
                var wide = new byte[source.Width * source.Height * 8];
                for (var i = 0; i < floats.Length; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(wide.AsSpan(2 * i), Wide(floats[i]));
                }

                return new ImageData(source.Width, source.Height, ImagePixelFormat.Rgba64, wide);
        }
    }

    /// <summary>
    /// Converts a caller's image to the model's color, interleaved, at its own size, by the same rules as
    /// decoded files: BT.601 gray, gray replicated, alpha dropped (not composited), 16-bit reduced by <c>v &gt;&gt; 8</c>.
    /// </summary>
    public static void ToModelColor(ImageData source, bool gray, Span<byte> destination)
    {
        var count = source.Width * source.Height;
        var bytes = source.Pixels.Span;
        var (step, r, g, b) = source.Format switch
        {
            ImagePixelFormat.Gray8 => (1, 0, 0, 0),
            ImagePixelFormat.Rgb24 => (3, 0, 1, 2),
            ImagePixelFormat.Rgba32 => (4, 0, 1, 2),
            ImagePixelFormat.Bgra32 => (4, 2, 1, 0),

            // Little-endian 16-bit channels: the high byte (v >> 8) is the second of each pair.
            _ => (8, 1, 3, 5),
        };

        if (source.Format == ImagePixelFormat.Gray8 && gray)
        {
            bytes.CopyTo(destination);
            return;
        }

        for (var i = 0; i < count; i++)
        {
            var at = i * step;
            var (red, green, blue) = (bytes[at + r], bytes[at + g], bytes[at + b]);
            if (gray)
            {
                destination[i] = GrayBt601(red, green, blue);
            }
            else
            {
                destination[3 * i] = red;
                destination[(3 * i) + 1] = green;
                destination[(3 * i) + 2] = blue;
            }
        }
    }

    // A 16-bit value v arrives as v / 65535 in float32, which rounds back to v exactly.
    private static byte High8(float value) => (byte)(Wide(value) >> 8);

    private static ushort Wide(float value) => (ushort)Math.Clamp(MathF.Round(value * 65535f), 0f, 65535f);
}
