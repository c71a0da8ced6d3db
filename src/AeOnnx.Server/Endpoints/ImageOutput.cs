using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AeOnnx.Server.Endpoints;

/// <summary>
/// Turns decoder outputs into PNG, grid and GIF bytes (ImageSharp encodes our own pixels only). The
/// size of every answer is known before any work (<see cref="ImagePixels"/>, <see cref="GridPixels"/>), and rendering stops between
/// images when the request is cancelled or runs out of time.
/// </summary>
internal static class ImageOutput
{
    /// <summary>Gap between grid cells, in pixels.</summary>
    public const int Gap = 2;

    private static readonly PngEncoder Png = new() { CompressionLevel = PngCompressionLevel.BestSpeed };

    /// <summary>Pixels of one output image at <paramref name="zoom"/>.</summary>
    public static long ImagePixels(Autoencoder model, int zoom) => (long)model.Width * zoom * model.Height * zoom;

    /// <summary>Pixels of a grid of <paramref name="count"/> images, laid out as <see cref="Grid"/> does.</summary>
    public static long GridPixels(Autoencoder model, int count, int columns, int zoom)
    {
        columns = Math.Clamp(columns, 1, Math.Max(1, count));
        var rows = (count + columns - 1) / columns;
        return ((long)columns * ((model.Width * zoom) + Gap) + Gap) * (((long)rows * ((model.Height * zoom) + Gap)) + Gap);
    }

    /// <summary>
    /// Bytes a rendering of <paramref name="pixels"/> needs at most: the RGB picture (3 bytes a pixel),
    /// the zoomed cell being copied in and the encoded answer (a PNG or GIF is at most about as large as
    /// its pixels, base64 of a data URL a third more), with room for the encoder's own buffers.
    /// </summary>
    public static long WorkingBytes(long pixels) => pixels * 12;

    public static Image<Rgb24> ToImage(Autoencoder model, ReadOnlySpan<float> output, int zoom)
    {
        var rgb = Imaging.ImageSharpInterop.ToRgb24(model.Images.ToImage(output));
        if (zoom > 1)
        {
            // Nearest neighbour keeps the model's pixels visible instead of blurring a 28×28 image.
            rgb.Mutate(x => x.Resize(rgb.Width * zoom, rgb.Height * zoom, KnownResamplers.NearestNeighbor));
        }

        return rgb;
    }

    public static byte[] Png1(Autoencoder model, ReadOnlySpan<float> output, int zoom)
    {
        using var image = ToImage(model, output, zoom);
        return Encode(image);
    }

    /// <summary>One PNG data URL per output, checking for cancellation between images.</summary>
    public static string[] DataUrls(Autoencoder model, IReadOnlyList<float[]> outputs, int zoom, Action<string, int, CancellationToken>? observe, CancellationToken cancellationToken)
    {
        var urls = new string[outputs.Count];
        for (var i = 0; i < outputs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            urls[i] = DataUrl(Png1(model, outputs[i], zoom));
            observe?.Invoke("render", i, cancellationToken);
        }

        return urls;
    }

    /// <summary>Images laid out row by row, <paramref name="columns"/> per row, 2-pixel dark gaps.</summary>
    public static byte[] Grid(Autoencoder model, IReadOnlyList<float[]> outputs, int columns, int zoom, Action<string, int, CancellationToken>? observe = null, CancellationToken cancellationToken = default)
    {
        columns = Math.Clamp(columns, 1, Math.Max(1, outputs.Count));
        var rows = (outputs.Count + columns - 1) / columns;
        var cellWidth = model.Width * zoom;
        var cellHeight = model.Height * zoom;
        using var grid = new Image<Rgb24>(Imaging.ImageSharpInterop.Configuration, (columns * (cellWidth + Gap)) + Gap, (rows * (cellHeight + Gap)) + Gap, new Rgb24(40, 40, 40));
        for (var i = 0; i < outputs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var cell = ToImage(model, outputs[i], zoom);
            var left = Gap + ((i % columns) * (cellWidth + Gap));
            var top = Gap + ((i / columns) * (cellHeight + Gap));
            cell.ProcessPixelRows(grid, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    source.GetRowSpan(y).CopyTo(target.GetRowSpan(top + y).Slice(left, source.Width));
                }
            });
            observe?.Invoke("render", i, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Encode(grid);
    }

    /// <summary>An animated GIF that loops forever, <paramref name="delayCentiseconds"/> per frame.</summary>
    public static byte[] Gif(Autoencoder model, IReadOnlyList<float[]> outputs, int zoom, int delayCentiseconds, Action<string, int, CancellationToken>? observe = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var animation = ToImage(model, outputs[0], zoom);
        animation.Metadata.GetGifMetadata().RepeatCount = 0;
        animation.Frames.RootFrame.Metadata.GetGifMetadata().FrameDelay = delayCentiseconds;
        observe?.Invoke("render", 0, cancellationToken);
        for (var i = 1; i < outputs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var frame = ToImage(model, outputs[i], zoom);
            var added = animation.Frames.AddFrame(frame.Frames.RootFrame);
            added.Metadata.GetGifMetadata().FrameDelay = delayCentiseconds;
            observe?.Invoke("render", i, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var stream = new MemoryStream();
        animation.Save(stream, new GifEncoder());
        return stream.ToArray();
    }

    /// <summary>A picture made on the CPU (a heatmap, a grid of the core's) as PNG bytes.</summary>
    public static byte[] Png1(Imaging.ImageData picture)
    {
        using var image = Imaging.ImageSharpInterop.ToRgb24(picture);
        return Encode(image);
    }

    public static string DataUrl(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    private static byte[] Encode(Image image)
    {
        using var stream = new MemoryStream();
        image.Save(stream, Png);
        return stream.ToArray();
    }
}
