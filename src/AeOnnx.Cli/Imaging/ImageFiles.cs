using AeOnnx.Cli.Output;
using AeOnnx.Imaging;
using AeOnnx.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Quantization;

namespace AeOnnx.Cli.Imaging;

/// <summary>Saves PNG and animated GIF files atomically (temporary name, then rename).</summary>
internal static class ImageFiles
{
    private static readonly Color[] GrayPalette = Enumerable.Range(0, 256).Select(v => Color.FromRgb((byte)v, (byte)v, (byte)v)).ToArray();

    private static readonly PngEncoder Png = new() { CompressionLevel = PngCompressionLevel.DefaultCompression };

    public static void SavePng(Image image, string path) => AtomicFile.Write(path, stream => image.Save(stream, Png));

    /// <summary>Saves the library's image type (decoder output, model views) as PNG, atomically.</summary>
    public static void SavePng(ImageData image, string path)
    {
        using var pixels = ImageSharpInterop.ToImageSharp(image);
        SavePng(pixels, path);
    }

    /// <summary>
    /// Writes a looping animated GIF of the frames (each enlarged by <paramref name="zoom"/>, nearest
    /// neighbour), showing each frame for <paramref name="frameDelayCs"/> hundredths of a second.
    /// </summary>
    /// <param name="grayscale">Frames are gray (a 1-channel model): a fixed 256-gray palette keeps every value exact.</param>
    public static void SaveAnimatedGif(IReadOnlyList<Image<Rgb24>> frames, string path, int zoom, int frameDelayCs, bool grayscale = false)
    {
        ArgumentOutOfRangeException.ThrowIfZero(frames.Count);
        var width = frames[0].Width * zoom;
        var height = frames[0].Height * zoom;
        using var animation = new Image<Rgb24>(width, height);
        animation.Metadata.GetGifMetadata().RepeatCount = 0; // loop forever
        for (var i = 0; i < frames.Count; i++)
        {
            using var frame = frames[i].Clone(x => x.Resize(width, height, KnownResamplers.NearestNeighbor));
            var added = animation.Frames.AddFrame(frame.Frames.RootFrame);
            var meta = added.Metadata.GetGifMetadata();
            meta.FrameDelay = frameDelayCs;
            meta.DisposalMethod = GifDisposalMethod.RestoreToBackground;
        }

        animation.Frames.RemoveFrame(0); // the blank frame the image was created with
        // No dithering: decoded images are smooth gray ramps, and dither noise would be read as image content.
        var options = new QuantizerOptions { Dither = null, MaxColors = 256 };
        var encoder = new GifEncoder
        {
            ColorTableMode = grayscale ? GifColorTableMode.Global : GifColorTableMode.Local,
            Quantizer = grayscale ? new PaletteQuantizer(GrayPalette, options) : new WuQuantizer(options),
        };
        AtomicFile.Write(path, stream => animation.Save(stream, encoder));
    }
}
