using System.Globalization;

namespace AeOnnx;

/// <summary>
/// The bounds on running a model, one rule each, read by <see cref="Autoencoder.Load"/>, the folder
/// pipeline, the ML.NET transforms, the CLI and the service: the default batch size, the largest batch
/// (one batch tensor holds at most <see cref="MaxBatchValues"/> floats) and the most workers at once.
/// </summary>
public static class RunLimits
{
    /// <summary>Images (or latents) per inference run unless a caller says otherwise: 64.</summary>
    public const int DefaultBatchSize = 64;

    /// <summary>
    /// Most floats in one batch tensor: 2²⁸ (1 GiB). An item is the larger of an image tensor
    /// (C × H × W) and a latent (D); batch × item above this is refused before any work, so an oversized
    /// batch is a clear argument error, never an int overflow or an out-of-memory failure inside a run.
    /// Batches in flight at once share the same budget.
    /// </summary>
    public const long MaxBatchValues = 1L << 28;

    /// <summary>Most decode workers or concurrent model runs: 256 (more only adds contention).</summary>
    public const int MaxWorkers = 256;

    /// <summary>The largest batch of items of <paramref name="valuesPerItem"/> floats (at least 1).</summary>
    /// <param name="valuesPerItem">Floats per item: the larger of C × H × W and D.</param>
    /// <returns>⌊<see cref="MaxBatchValues"/> / valuesPerItem⌋, at least 1.</returns>
    public static int LargestBatch(int valuesPerItem)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(valuesPerItem);
        return (int)Math.Max(1, MaxBatchValues / valuesPerItem);
    }

    /// <summary>The largest batch of a model's items (images or latents, whichever is larger).</summary>
    /// <param name="model">The model.</param>
    /// <returns>At least 1.</returns>
    public static int LargestBatch(Models.ModelManifest model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return LargestBatch(ValuesPerItem(model));
    }

    /// <summary>Refuses a batch size outside 1..<see cref="LargestBatch(Models.ModelManifest)"/> with a message naming the largest that fits.</summary>
    internal static void CheckBatchSize(int batchSize, Models.ModelManifest model, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize, paramName);
        var perItem = ValuesPerItem(model);
        var largest = LargestBatch(perItem);
        if (batchSize > largest)
        {
            var image = model.Image;
            var (items, shape) = image.PixelCount >= model.Latent.Dim ? ("images", $"{image.Channels}x{image.Height}x{image.Width}") : ("latents", $"{model.Latent.Dim} floats");
            throw new ArgumentOutOfRangeException(
                paramName,
                batchSize,
                string.Create(CultureInfo.InvariantCulture, $"A batch of {batchSize} {items} of {shape} is {(long)batchSize * perItem} floats; one batch may hold at most {MaxBatchValues} ({largest} {items} of this model)."));
        }
    }

    /// <summary>Refuses a negative worker count or one above <see cref="MaxWorkers"/>.</summary>
    internal static void CheckWorkers(int workers, string what, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workers, paramName);
        if (workers > MaxWorkers)
        {
            throw new ArgumentOutOfRangeException(paramName, workers, $"{what} is {workers}; the most is {MaxWorkers}.");
        }
    }

    private static int ValuesPerItem(Models.ModelManifest model) => Math.Max(model.Image.PixelCount, model.Latent.Dim);
}
