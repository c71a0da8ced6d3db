using AeOnnx.Imaging;

namespace AeOnnx.Server.Endpoints;

/// <summary>
/// The images of one request, measured from their headers before any is decoded: the pixels they
/// decode to (checked against <see cref="ServerOptions.MaxDecodedPixelsPerRequest"/>) and the most
/// working memory one decode holds (they are decoded one after another). Decoding checks the
/// request's cancellation between images, so a request that runs out of time stops decoding.
/// </summary>
internal sealed class ImageBatch
{
    private readonly Autoencoder _model;

    private ImageBatch(Autoencoder model, IReadOnlyList<NamedBytes> images, long pixels, long decodePeakBytes)
    {
        _model = model;
        Images = images;
        Pixels = pixels;
        DecodePeakBytes = decodePeakBytes;
    }

    public IReadOnlyList<NamedBytes> Images { get; }

    /// <summary>Pixels all images decode to.</summary>
    public long Pixels { get; }

    /// <summary>Working bytes of decoding: the largest single decode plus the tensors of all images.</summary>
    public long DecodePeakBytes { get; }

    /// <summary>Reads every image's header; refuses the request before any decoding when its images decode to too many pixels.</summary>
    /// <exception cref="ApiException">413 over the request's pixel budget or an image's own limits; 415/422 for an image that is not one.</exception>
    public static ImageBatch Measure(Autoencoder model, IReadOnlyList<NamedBytes> images, ServerOptions options)
    {
        long pixels = 0;
        long peak = 0;
        foreach (var image in images)
        {
            var (decoded, bytes) = Guard(image, () => model.Images.MeasureDecode(image.Bytes, image.Name));
            pixels += decoded;
            peak = Math.Max(peak, bytes);
        }

        if (pixels > options.MaxDecodedPixelsPerRequest)
        {
            throw ApiException.TooLarge(
                $"The request's {images.Count} image(s) decode to {pixels} pixels; at most {options.MaxDecodedPixelsPerRequest} per request. Send fewer or smaller images.");
        }

        return new ImageBatch(model, images, pixels, peak + ((long)images.Count * model.PixelCount * sizeof(float)));
    }

    /// <summary>Decodes the images one by one into the model's tensors, stopping between images when the request is cancelled.</summary>
    public float[][] Decode(Action<string, int, CancellationToken>? observe, CancellationToken cancellationToken)
    {
        var tensors = new float[Images.Count][];
        for (var i = 0; i < Images.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var image = Images[i];
            tensors[i] = Guard(image, () => _model.Images.LoadTensor(image.Bytes, image.Name));
            observe?.Invoke("decode", i, cancellationToken);
        }

        return tensors;
    }

    /// <summary>Maps the core's refusal of an image to its status through the one failure table (413 too large, 415 not an image format, 422 otherwise).</summary>
    private static T Guard<T>(NamedBytes image, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (ImageLoadException e)
        {
            throw ApiException.From(FailureTable.Classify(e), $"Image '{image.Name}': {e.Message}");
        }
    }
}
