using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AeOnnx.Server.Endpoints;

/// <summary>Turns decoder outputs into PNG, grid and GIF bytes (ImageSharp encodes our own pixels only).</summary>
internal static class ImageOutput
{
    private static readonly PngEncoder Png = new() { CompressionLevel = PngCompressionLevel.BestSpeed };

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

    /// <summary>Images laid out row by row, <paramref name="columns"/> per row, 2-pixel dark gaps.</summary>
    public static byte[] Grid(Autoencoder model, IReadOnlyList<float[]> outputs, int columns, int zoom)
    {
        columns = Math.Clamp(columns, 1, Math.Max(1, outputs.Count));
        var rows = (outputs.Count + columns - 1) / columns;
        const int gap = 2;
        var cellWidth = model.Width * zoom;
        var cellHeight = model.Height * zoom;
        using var grid = new Image<Rgb24>((columns * (cellWidth + gap)) + gap, (rows * (cellHeight + gap)) + gap, new Rgb24(40, 40, 40));
        for (var i = 0; i < outputs.Count; i++)
        {
            using var cell = ToImage(model, outputs[i], zoom);
            var left = gap + ((i % columns) * (cellWidth + gap));
            var top = gap + ((i / columns) * (cellHeight + gap));
            cell.ProcessPixelRows(grid, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    source.GetRowSpan(y).CopyTo(target.GetRowSpan(top + y).Slice(left, source.Width));
                }
            });
        }

        return Encode(grid);
    }

    /// <summary>An animated GIF that loops forever, <paramref name="delayCentiseconds"/> per frame.</summary>
    public static byte[] Gif(Autoencoder model, IReadOnlyList<float[]> outputs, int zoom, int delayCentiseconds)
    {
        using var animation = ToImage(model, outputs[0], zoom);
        animation.Metadata.GetGifMetadata().RepeatCount = 0;
        animation.Frames.RootFrame.Metadata.GetGifMetadata().FrameDelay = delayCentiseconds;
        for (var i = 1; i < outputs.Count; i++)
        {
            using var frame = ToImage(model, outputs[i], zoom);
            var added = animation.Frames.AddFrame(frame.Frames.RootFrame);
            added.Metadata.GetGifMetadata().FrameDelay = delayCentiseconds;
        }

        using var stream = new MemoryStream();
        animation.Save(stream, new GifEncoder());
        return stream.ToArray();
    }

    public static string DataUrl(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    private static byte[] Encode(Image image)
    {
        using var stream = new MemoryStream();
        image.Save(stream, Png);
        return stream.ToArray();
    }
}
