using AeOnnx.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Imaging;

/// <summary>Turns the library's model images (gray or RGB) and decoder outputs into RGB cells for grids.</summary>
internal static class GridImages
{
    public static Image<Rgb24> FromOutput(Autoencoder model, ReadOnlySpan<float> output)
    {
        return ImageSharpInterop.ToRgb24(model.Images.ToImage(output));
    }

    /// <summary>
    /// The original file exactly as the encoder sees it (its color, model size, the manifest's JPEG
    /// downscaling and resampler), for side-by-side grids.
    /// </summary>
    public static Image<Rgb24> ModelView(Autoencoder model, string path)
    {
        return ImageSharpInterop.ToRgb24(model.Images.LoadModelImage(path));
    }

    public static Image<Rgb24> Load(string path) => Image.Load<Rgb24>(path);
}
