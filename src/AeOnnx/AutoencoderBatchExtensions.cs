using System.Buffers;
using AeOnnx.Imaging;
using AeOnnx.Pipeline;

namespace AeOnnx;

/// <summary>
/// Many images or latents through an <see cref="Autoencoder"/>, in order: streams of files of any
/// length with bounded memory and per-file errors (<see cref="EncodeFilesAsync"/>, the folder
/// pipeline), and lists in chunks of <see cref="Autoencoder.BatchSize"/> that throw on the first bad image.
/// </summary>
public static class AutoencoderBatchExtensions
{
    /// <summary>
    /// Encodes many image files with bounded memory: parallel decode workers feed a batcher that
    /// feeds inference, all overlapping; results come back in input order, one per path, with a
    /// per-file <see cref="PipelineResult.Failure"/> instead of stopping on a bad file. Only
    /// failures outside any one file (enumerating <paramref name="paths"/> throws, the model is
    /// disposed, cancellation) end the stream, by throwing from the enumeration.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="paths">Image files; enumerated lazily.</param>
    /// <param name="options">Workers, batch size, queue bound; defaults when null.</param>
    /// <param name="cancellationToken">Stops the pipeline.</param>
    /// <returns>Results in input order.</returns>
    public static IAsyncEnumerable<PipelineResult> EncodeFilesAsync(this Autoencoder model, IEnumerable<string> paths, PipelineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        model.ThrowIfDisposed();
        return new FilePipeline(model, options ?? new PipelineOptions(), reconstruct: false).RunAsync(paths, cancellationToken);
    }

    /// <summary>
    /// Like <see cref="EncodeFilesAsync"/>, and also decodes each latent: results carry the raw
    /// reconstruction and its <see cref="ReconstructionError"/>.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="paths">Image files; enumerated lazily.</param>
    /// <param name="options">Workers, batch size, queue bound; defaults when null.</param>
    /// <param name="cancellationToken">Stops the pipeline.</param>
    /// <returns>Results in input order.</returns>
    public static IAsyncEnumerable<PipelineResult> ReconstructFilesAsync(this Autoencoder model, IEnumerable<string> paths, PipelineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        model.ThrowIfDisposed();
        return new FilePipeline(model, options ?? new PipelineOptions(), reconstruct: true).RunAsync(paths, cancellationToken);
    }

    /// <summary>Encodes image files, in order; run in chunks of <see cref="Autoencoder.BatchSize"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="paths">Image files.</param>
    /// <returns>One latent per file.</returns>
    /// <exception cref="ImageLoadException">An image cannot be loaded (use <see cref="EncodeFilesAsync"/> for per-file errors).</exception>
    public static float[][] EncodeBatch(this Autoencoder model, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return EncodeChunks(model, paths.Count, (i, destination) => model.Images.LoadTensor(paths[i], destination));
    }

    /// <summary>Encodes images in memory, in order; run in chunks of <see cref="Autoencoder.BatchSize"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="images">Images of any pixel format and size.</param>
    /// <returns>One latent per image.</returns>
    public static float[][] EncodeBatch(this Autoencoder model, IReadOnlyList<ImageData> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return EncodeChunks(model, images.Count, (i, destination) => model.Images.ToTensor(images[i], destination));
    }

    /// <summary>Decodes latents, in order; run in chunks of <see cref="Autoencoder.BatchSize"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="latents">Latents of <see cref="Autoencoder.LatentDim"/> floats each.</param>
    /// <returns>One raw decoder output (<see cref="Autoencoder.PixelCount"/> floats) per latent.</returns>
    public static float[][] DecodeBatch(this Autoencoder model, IReadOnlyList<float[]> latents)
    {
        ArgumentNullException.ThrowIfNull(latents);
        if (latents.Count == 0)
        {
            return []; // as EncodeBatch([]) does: an empty batch is no work, not an error
        }

        var flat = new float[latents.Count * model.LatentDim];
        for (var i = 0; i < latents.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(latents[i], nameof(latents));
            TensorArguments.CheckExact(latents[i].Length, model.LatentDim, nameof(latents));
            latents[i].CopyTo(flat, i * model.LatentDim);
        }

        return Split(model.DecodeTensor(flat), latents.Count, model.PixelCount);
    }

    /// <summary>Reconstructs image files, in order.</summary>
    /// <param name="model">The model.</param>
    /// <param name="paths">Image files.</param>
    /// <returns>One reconstruction per file.</returns>
    /// <exception cref="ImageLoadException">An image cannot be loaded.</exception>
    public static Reconstruction[] ReconstructBatch(this Autoencoder model, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return ReconstructChunks(model, paths.Count, (i, destination) => model.Images.LoadTensor(paths[i], destination));
    }

    /// <summary>Reconstructs images in memory, in order.</summary>
    /// <param name="model">The model.</param>
    /// <param name="images">Images.</param>
    /// <returns>One reconstruction per image.</returns>
    public static Reconstruction[] ReconstructBatch(this Autoencoder model, IReadOnlyList<ImageData> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return ReconstructChunks(model, images.Count, (i, destination) => model.Images.ToTensor(images[i], destination));
    }

    private static float[][] EncodeChunks(Autoencoder model, int count, Action<int, Span<float>> load)
    {
        model.ThrowIfDisposed();
        var (batch, pixels, dim) = (model.BatchSize, model.PixelCount, model.LatentDim);
        var result = new float[count][];
        var buffer = ArrayPool<float>.Shared.Rent(Math.Min(count, batch) * pixels);
        var latents = ArrayPool<float>.Shared.Rent(Math.Min(count, batch) * dim);
        try
        {
            for (var start = 0; start < count; start += batch)
            {
                var n = Math.Min(batch, count - start);
                for (var i = 0; i < n; i++)
                {
                    load(start + i, buffer.AsSpan(i * pixels, pixels));
                }

                model.EncodeTensor(buffer.AsSpan(0, n * pixels), latents.AsSpan(0, n * dim));
                for (var i = 0; i < n; i++)
                {
                    result[start + i] = latents.AsSpan(i * dim, dim).ToArray();
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
            ArrayPool<float>.Shared.Return(latents);
        }

        return result;
    }

    private static Reconstruction[] ReconstructChunks(Autoencoder model, int count, Action<int, Span<float>> load)
    {
        model.ThrowIfDisposed();
        var (batch, pixels, dim) = (model.BatchSize, model.PixelCount, model.LatentDim);
        var result = new Reconstruction[count];
        for (var start = 0; start < count; start += batch)
        {
            var n = Math.Min(batch, count - start);
            var inputs = new float[n * pixels];
            for (var i = 0; i < n; i++)
            {
                load(start + i, inputs.AsSpan(i * pixels, pixels));
            }

            var latents = model.EncodeTensor(inputs);
            var outputs = model.DecodeTensor(latents);
            for (var i = 0; i < n; i++)
            {
                var input = inputs.AsSpan(i * pixels, pixels).ToArray();
                var output = outputs.AsSpan(i * pixels, pixels).ToArray();
                result[start + i] = new Reconstruction(input, latents.AsSpan(i * dim, dim).ToArray(), output, model.MeasureError(input, output));
            }
        }

        return result;
    }

    private static float[][] Split(float[] flat, int count, int size)
    {
        var result = new float[count][];
        for (var i = 0; i < count; i++)
        {
            result[i] = flat.AsSpan(i * size, size).ToArray();
        }

        return result;
    }
}
