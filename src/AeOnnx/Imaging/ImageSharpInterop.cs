using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Imaging;

/// <summary>
/// Where ImageSharp meets <see cref="ImageData"/>: ImageSharp writes pictures (PNG here; grids and GIFs
/// in the CLI and the service) and never appears in a public signature. Its configuration is private
/// and single-threaded: parallelism belongs to the caller.
/// </summary>
internal static class ImageSharpInterop
{
    private static readonly Configuration WriteConfiguration = new(new PngConfigurationModule())
    {
        MaxDegreeOfParallelism = 1,

        // ImageSharp's default pool keeps up to an eighth of the machine's memory after a burst of
        // large pictures (the service's grids and GIFs): capped, large buffers go back when disposed.
        MemoryAllocator = SixLabors.ImageSharp.Memory.MemoryAllocator.Create(new SixLabors.ImageSharp.Memory.MemoryAllocatorOptions { MaximumPoolSizeMegabytes = 16 }),
    };

    /// <summary>The configuration pictures are written with (the service lays out its grids with it too).</summary>
    internal static Configuration Configuration => WriteConfiguration;

    /// <summary>An ImageSharp image of the nearest pixel type; the caller disposes it.</summary>
    public static Image ToImageSharp(ImageData image)
    {
        var bytes = image.Pixels.Span;
        return image.Format switch
        {
            ImagePixelFormat.Gray8 => Image.LoadPixelData<L8>(WriteConfiguration, bytes, image.Width, image.Height),
            ImagePixelFormat.Rgb24 => Image.LoadPixelData<Rgb24>(WriteConfiguration, bytes, image.Width, image.Height),
            ImagePixelFormat.Rgba32 => Image.LoadPixelData<Rgba32>(WriteConfiguration, bytes, image.Width, image.Height),
            ImagePixelFormat.Bgra32 => Image.LoadPixelData<Bgra32>(WriteConfiguration, bytes, image.Width, image.Height),
            _ => Image.LoadPixelData<Rgba64>(WriteConfiguration, bytes, image.Width, image.Height),
        };
    }

    /// <summary>An RGB ImageSharp image (for grids and animations); the caller disposes it.</summary>
    public static Image<Rgb24> ToRgb24(ImageData image)
    {
        if (image.Format == ImagePixelFormat.Rgb24)
        {
            return Image.LoadPixelData<Rgb24>(WriteConfiguration, image.Pixels.Span, image.Width, image.Height);
        }

        using var any = ToImageSharp(image);
        return any.CloneAs<Rgb24>(WriteConfiguration);
    }

    public static void SavePng(ImageData image, Stream stream)
    {
        using var any = ToImageSharp(image);
        any.SaveAsPng(stream);
    }
}
