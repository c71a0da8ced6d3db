using AeOnnx.Imaging;

namespace AeOnnx.Anomaly;

/// <summary>
/// Where the anomaly is, as a picture: three panels side by side, the image, its reconstruction, and the
/// image with the reconstruction error laid over it (red where the error is small, yellow where it is at
/// or above <see cref="DefaultErrorScale"/>; the overlay's opacity grows with the error, so a well
/// reconstructed pixel shows the image itself). The same absolute scale for every image, so heatmaps compare.
/// </summary>
public static class AnomalyHeatmap
{
    /// <summary>The per-pixel RMS error (over channels, [0,1] pixels) drawn at full strength.</summary>
    public const double DefaultErrorScale = 0.5;

    /// <summary>Renders the three panels of a scored image as RGB.</summary>
    /// <param name="model">The model that scored it (its preprocessing maps tensors back to pixels).</param>
    /// <param name="result">The scored image.</param>
    /// <param name="scale">Pixel repetition (nearest neighbour), 1 to 16; 0: enough for panels about 128 pixels high.</param>
    /// <param name="errorScale">RMS error drawn at full strength, &gt; 0.</param>
    /// <returns>A (3·Width·scale) × (Height·scale) RGB image.</returns>
    public static ImageData Render(Autoencoder model, AnomalyResult result, int scale = 0, double errorScale = DefaultErrorScale)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(result);
        if (!(errorScale > 0 && double.IsFinite(errorScale)))
        {
            throw new ArgumentOutOfRangeException(nameof(errorScale), errorScale, "The error scale is a positive number.");
        }

        int h = model.Height, w = model.Width, channels = model.Channels, plane = h * w;
        if (scale == 0)
        {
            scale = Math.Clamp(128 / h, 1, 16);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, 16);
        TensorArguments.CheckExact(result.ErrorMap.Length, plane, nameof(result));
        // the model's own tensor-to-pixel rule, as for every reconstruction it writes
        var input = model.Images.ToImage(result.Reconstruction.Input).Pixels.Span.ToArray();
        var output = model.Images.ToImage(result.Reconstruction.Output).Pixels.Span.ToArray();

        byte Pixel(byte[] image, int c, int p) => image[(p * channels) + Math.Min(c, channels - 1)];

        int width = 3 * w * scale, height = h * scale;
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var p = (y * w) + x;
                Span<byte> original = [Pixel(input, 0, p), Pixel(input, 1, p), Pixel(input, 2, p)];
                Span<byte> reconstructed = [Pixel(output, 0, p), Pixel(output, 1, p), Pixel(output, 2, p)];
                var overlay = Overlay(original, result.ErrorMap[p], errorScale);
                for (var sy = 0; sy < scale; sy++)
                {
                    for (var sx = 0; sx < scale; sx++)
                    {
                        var row = ((y * scale) + sy) * width;
                        var col = (x * scale) + sx;
                        original.CopyTo(pixels.AsSpan((row + col) * 3, 3));
                        reconstructed.CopyTo(pixels.AsSpan((row + (w * scale) + col) * 3, 3));
                        overlay.CopyTo(pixels.AsSpan((row + (2 * w * scale) + col) * 3, 3));
                    }
                }
            }
        }

        return new ImageData(width, height, ImagePixelFormat.Rgb24, pixels);
    }

    /// <summary>
    /// One overlay pixel: t = min(1, √error / errorScale), colour (1, t, 0), out = (1 − t)·image + t·colour,
    /// in bytes (colour × 255), rounded half to even.
    /// </summary>
    /// <param name="image">The image's RGB bytes.</param>
    /// <param name="squaredError">The error map's value (mean squared error over channels, [0,1] pixels).</param>
    /// <param name="errorScale">RMS error drawn at full strength.</param>
    /// <returns>The RGB bytes.</returns>
    public static byte[] Overlay(ReadOnlySpan<byte> image, float squaredError, double errorScale = DefaultErrorScale)
    {
        var t = Math.Min(1.0, Math.Sqrt(Math.Max(squaredError, 0f)) / errorScale);
        ReadOnlySpan<double> colour = [1.0, t, 0.0];
        var result = new byte[3];
        for (var c = 0; c < 3; c++)
        {
            result[c] = (byte)Math.Round(Math.Clamp(((1 - t) * image[c]) + (t * colour[c] * 255.0), 0, 255), MidpointRounding.ToEven);
        }

        return result;
    }
}
