using AeOnnx.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Tests.Support;

/// <summary>Test images drawn with ImageSharp, handed to the library as its own <see cref="ImageData"/> and back.</summary>
internal static class TestImages
{
    /// <summary>The first frame of an ImageSharp image as <see cref="ImageData"/> in the nearest format (16-bit kinds as Rgba64).</summary>
    public static ImageData ToImageData(Image image)
    {
        using var first = image.Frames.Count > 1 ? image.Frames.CloneFrame(0) : image.CloneAs<Rgba32>();
        switch (image)
        {
            case Image<L8> gray when image.Frames.Count == 1:
                return Pixels(gray, ImagePixelFormat.Gray8);
            case Image<Rgb24> rgb when image.Frames.Count == 1:
                return Pixels(rgb, ImagePixelFormat.Rgb24);
            case Image<Bgra32> bgra when image.Frames.Count == 1:
                return Pixels(bgra, ImagePixelFormat.Bgra32);
            case Image<L16> or Image<La32> or Image<Rgb48> or Image<Rgba64>:
                using (var wide = first.CloneAs<Rgba64>())
                {
                    return Pixels(wide, ImagePixelFormat.Rgba64);
                }

            default:
                using (var narrow = first.CloneAs<Rgba32>())
                {
                    return Pixels(narrow, ImagePixelFormat.Rgba32);
                }
        }
    }

    /// <summary>An ImageSharp view of the library's image (for pixel assertions); the caller disposes it.</summary>
    public static Image<TPixel> ToImageSharp<TPixel>(ImageData image)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var any = ImageSharpInterop.ToImageSharp(image);
        return any.CloneAs<TPixel>();
    }

    private static ImageData Pixels<TPixel>(Image<TPixel> image, ImagePixelFormat format)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var bytes = new byte[image.Width * image.Height * ImageData.BytesPer(format)];
        image.CopyPixelDataTo(bytes);
        return new ImageData(image.Width, image.Height, format, bytes);
    }
}
