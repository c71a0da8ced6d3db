namespace AeOnnx.Imaging;

/// <summary>
/// Pixels in memory: the library's own image type, for images callers pass in (to encode or
/// reconstruct) and get back (decoded files, model-size views, decoder output). Interleaved rows, top
/// to bottom, no padding, in one of the <see cref="ImagePixelFormat"/>s. It ties the public API to no
/// imaging library: wrap another library's pixel buffer, or write the image with <see cref="SavePng(string)"/>.
/// </summary>
public sealed class ImageData
{
    /// <summary>Wraps pixels (not copied: do not change them while the image is in use).</summary>
    /// <param name="width">Width in pixels, 1 or more.</param>
    /// <param name="height">Height in pixels, 1 or more.</param>
    /// <param name="format">The pixel layout.</param>
    /// <param name="pixels">Exactly width × height × <see cref="BytesPerPixel"/> bytes.</param>
    /// <exception cref="ArgumentException">The sizes are not positive, or the byte count does not match them.</exception>
    public ImageData(int width, int height, ImagePixelFormat format, ReadOnlyMemory<byte> pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var expected = (long)width * height * BytesPer(format);
        if (pixels.Length != expected)
        {
            throw new ArgumentException($"A {width}x{height} {format} image has {expected} bytes; got {pixels.Length}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Format = format;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixel layout.</summary>
    public ImagePixelFormat Format { get; }

    /// <summary>Bytes per pixel of <see cref="Format"/>.</summary>
    public int BytesPerPixel => BytesPer(Format);

    /// <summary>The pixels: <see cref="Width"/> × <see cref="Height"/> × <see cref="BytesPerPixel"/> bytes.</summary>
    public ReadOnlyMemory<byte> Pixels { get; }

    /// <summary>Bytes per pixel of a format.</summary>
    /// <param name="format">The format.</param>
    /// <returns>1, 3, 4 or 8.</returns>
    public static int BytesPer(ImagePixelFormat format) => format switch
    {
        ImagePixelFormat.Gray8 => 1,
        ImagePixelFormat.Rgb24 => 3,
        ImagePixelFormat.Rgba32 or ImagePixelFormat.Bgra32 => 4,
        ImagePixelFormat.Rgba64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown pixel format."),
    };

    /// <summary>Writes the image as a PNG file (created or overwritten).</summary>
    /// <param name="path">The file.</param>
    public void SavePng(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.Create(path);
        SavePng(stream);
    }

    /// <summary>Writes the image as PNG to a stream.</summary>
    /// <param name="stream">The destination; not disposed.</param>
    public void SavePng(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ImageSharpInterop.SavePng(this, stream);
    }
}
