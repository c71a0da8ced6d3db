using System.Buffers;
using AeOnnx.Imaging;
using AeOnnx.Latents;
using AeOnnx.Models;
using AeOnnx.Pipeline;
using AeOnnx.Runtime;
using SixLabors.ImageSharp;

namespace AeOnnx;

/// <summary>
/// A loaded encoder/decoder pair: encode images to latents, decode latents to images, reconstruct,
/// sample, and stream folders of images through both. One ONNX Runtime session per graph, created
/// once and shared: every member is safe to call from many threads at once.
/// Owns native resources: dispose it; calls after <see cref="Dispose"/> throw
/// <see cref="ObjectDisposedException"/> (calls already running finish first).
/// </summary>
/// <remarks>
/// Tensor methods take and return flat NCHW float32 data in the model's normalized space: an image
/// is <see cref="PixelCount"/> floats, a latent <see cref="LatentDim"/> floats; batches are those
/// concatenated. Batches larger than <see cref="BatchSize"/> are split into several runs.
/// </remarks>
public sealed class Autoencoder : IDisposable
{
    private readonly GraphSession _encoder;
    private readonly GraphSession _decoder;
    private readonly LatentGaussian? _latentDistribution;
    private readonly LatentGaussian? _priorDistribution;
    private int _activeCalls;
    private int _disposed;
    private int _released;

    private Autoencoder(LoadedModel model, AutoencoderOptions options)
    {
        Folder = model.Folder;
        Manifest = model.Manifest;
        Device = model.Device;
        _encoder = model.Encoder;
        _decoder = model.Decoder;
        BatchSize = options.BatchSize;
        IntraOpThreads = options.IntraOpThreads;
        Images = new ImageConverter(Manifest.Image, options.ImageLimits);
        if (Manifest.Latent is { Mean: { } mean, Cholesky: { } cholesky })
        {
            _latentDistribution = new LatentGaussian(mean, cholesky);
        }

        _priorDistribution = IsVariational ? LatentGaussian.Standard(Manifest.Latent.Dim) : null;
    }

    /// <summary>The intra-op thread count the sessions were created with (0: ONNX Runtime's default, the cores).</summary>
    internal int IntraOpThreads { get; }

    /// <summary>The model folder the graphs were loaded from (full path).</summary>
    public string Folder { get; }

    /// <summary>
    /// The model's manifest as the loader checked it (rebuilt from metadata_props for a bare graph pair):
    /// kind, image and preprocessing, latent space and statistics, both graphs with their verified SHA-256.
    /// </summary>
    public ModelManifest Manifest { get; }

    /// <summary>Model name from the manifest.</summary>
    public string Name => Manifest.Name;

    /// <summary>True for a variational autoencoder.</summary>
    public bool IsVariational => Manifest.IsVariational;

    /// <summary>The device both sessions run on: <see cref="Device.Cpu"/> or <see cref="Device.Cuda(int)"/>, never Auto.</summary>
    public Device Device { get; }

    /// <summary>ONNX Runtime's name of the chosen execution provider, e.g. <c>CPUExecutionProvider</c>.</summary>
    public string ExecutionProvider => SessionFactory.ProviderName(Device);

    /// <summary>Most images per inference run.</summary>
    public int BatchSize { get; }

    /// <summary>Image channels (1 or 3).</summary>
    public int Channels => Manifest.Image.Channels;

    /// <summary>Image height in pixels.</summary>
    public int Height => Manifest.Image.Height;

    /// <summary>Image width in pixels.</summary>
    public int Width => Manifest.Image.Width;

    /// <summary>Floats per image tensor (C × H × W).</summary>
    public int PixelCount => Manifest.Image.PixelCount;

    /// <summary>Latent size D.</summary>
    public int LatentDim => Manifest.Latent.Dim;

    /// <summary>The model's pre- and post-processing (decode, convert, resize, normalize and back).</summary>
    public ImageConverter Images { get; }

    /// <summary>
    /// The training-set latent Gaussian (manifest mean and Cholesky factor); null when the manifest
    /// has no statistics (a bare graph pair). Used for AE sampling and outlier scores.
    /// </summary>
    public LatentGaussian? LatentDistribution => _latentDistribution;

    /// <summary>
    /// The distribution <see cref="SampleLatents(int, int)"/> draws from (<see cref="LatentSource.Auto"/>):
    /// <see cref="LatentDistribution"/> when the manifest has statistics, else a VAE's prior N(0, I);
    /// null when neither is available.
    /// </summary>
    public LatentGaussian? SamplingDistribution => _latentDistribution ?? _priorDistribution;

    /// <summary>A VAE's prior N(0, I); null for a plain autoencoder.</summary>
    public LatentGaussian? PriorDistribution => _priorDistribution;

    /// <summary>The distribution a <see cref="LatentSource"/> names for this model.</summary>
    /// <param name="source">Which distribution.</param>
    /// <returns>The distribution.</returns>
    /// <exception cref="InvalidOperationException">The model has no such distribution (an autoencoder's prior; statistics missing from the manifest).</exception>
    public LatentGaussian GetSamplingDistribution(LatentSource source) => source switch
    {
        LatentSource.Auto => SamplingDistribution
            ?? throw new InvalidOperationException($"Model '{Name}' has no latent.mean/latent.cholesky in its manifest, so it cannot be sampled."),
        LatentSource.Fitted => _latentDistribution
            ?? throw new InvalidOperationException($"Model '{Name}' has no latent.mean/latent.cholesky in its manifest, so there is no fitted latent Gaussian to sample from."),
        LatentSource.Prior => _priorDistribution
            ?? throw new InvalidOperationException($"Model '{Name}' is a plain autoencoder: it has no prior to sample from (sample from the fitted latent Gaussian instead)."),
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "Unknown latent source."),
    };

    /// <summary>Per-class centroids from the manifest (empty when there are none).</summary>
    public IReadOnlyList<LatentClass> Classes => Manifest.Latent.Classes;

    /// <summary>
    /// Loads a model folder (or a path to its manifest.json): reads and checks the manifest, verifies
    /// both graphs' SHA-256, creates one session per graph on the requested device and checks the
    /// graphs' inputs and outputs against the manifest. A folder with only encoder.onnx and
    /// decoder.onnx loads from the graphs' metadata_props.
    /// </summary>
    /// <param name="folder">The model folder, or its manifest.json.</param>
    /// <param name="options">Device, threads, batch size, limits; defaults when null.</param>
    /// <returns>The loaded model; dispose it.</returns>
    /// <exception cref="ModelLoadException">The folder, manifest or a graph is missing, malformed or inconsistent.</exception>
    /// <exception cref="DeviceUnavailableException">An explicitly requested device (CUDA) cannot start, or the application has no native ONNX Runtime package (any device; the message names the package to add).</exception>
    public static Autoencoder Load(string folder, AutoencoderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= new AutoencoderOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads, nameof(options));
        ArgumentNullException.ThrowIfNull(options.ImageLimits, nameof(options));
        ArgumentNullException.ThrowIfNull(options.Logger, nameof(options));
        var model = ModelLoader.Load(folder, options);
        try
        {
            // One batch is one tensor of BatchSize items: refuse a batch over the one budget
            // (RunLimits) before any work, instead of overflowing a count or memory later.
            RunLimits.CheckBatchSize(options.BatchSize, model.Manifest, nameof(options));
        }
        catch
        {
            model.Encoder.Dispose();
            model.Decoder.Dispose();
            throw;
        }

        return new Autoencoder(model, options);
    }

    // ---- tensors ---------------------------------------------------------------------------

    /// <summary>Encodes N images (N × <see cref="PixelCount"/> normalized floats) into N latents.</summary>
    /// <param name="images">N images, NCHW, concatenated.</param>
    /// <param name="latents">Exactly N × <see cref="LatentDim"/> floats to overwrite (a VAE's mean).</param>
    public void EncodeTensor(ReadOnlySpan<float> images, Span<float> latents) => EncodeTensor(images, latents, Span<float>.Empty);

    /// <summary>Encodes N images; for a VAE also returns the log-variance.</summary>
    /// <param name="images">N images, NCHW, concatenated.</param>
    /// <param name="latents">Exactly N × <see cref="LatentDim"/> floats to overwrite (a VAE's mean).</param>
    /// <param name="logVariances">Exactly N × <see cref="LatentDim"/> floats for a VAE's log-variance, or empty to skip.</param>
    /// <exception cref="InvalidOperationException">Log-variances were asked of a plain autoencoder.</exception>
    public void EncodeTensor(ReadOnlySpan<float> images, Span<float> latents, Span<float> logVariances)
    {
        var count = CountItems(images.Length, PixelCount, nameof(images));
        CheckDestination(latents.Length, count * LatentDim, nameof(latents));
        if (!logVariances.IsEmpty)
        {
            if (!IsVariational)
            {
                throw new InvalidOperationException($"Model '{Name}' is a plain autoencoder: it has no log-variance output.");
            }

            CheckDestination(logVariances.Length, count * LatentDim, nameof(logVariances));
        }

        Enter();
        try
        {
            for (var start = 0; start < count; start += BatchSize)
            {
                var n = Math.Min(BatchSize, count - start);
                _encoder.Run(
                    images.Slice(start * PixelCount, n * PixelCount),
                    n,
                    latents.Slice(start * LatentDim, n * LatentDim),
                    logVariances.IsEmpty ? Span<float>.Empty : logVariances.Slice(start * LatentDim, n * LatentDim));
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Encodes N images into a new array of N × <see cref="LatentDim"/> floats.</summary>
    /// <param name="images">N images, NCHW, concatenated.</param>
    /// <returns>The latents, concatenated.</returns>
    public float[] EncodeTensor(ReadOnlySpan<float> images)
    {
        var count = CountItems(images.Length, PixelCount, nameof(images));
        var latents = new float[count * LatentDim];
        EncodeTensor(images, latents);
        return latents;
    }

    /// <summary>Decodes N latents (N × <see cref="LatentDim"/> floats) into N raw decoder outputs.</summary>
    /// <param name="latents">N latents, concatenated.</param>
    /// <param name="images">Exactly N × <see cref="PixelCount"/> floats to overwrite (normalized space, NCHW).</param>
    public void DecodeTensor(ReadOnlySpan<float> latents, Span<float> images)
    {
        var count = CountItems(latents.Length, LatentDim, nameof(latents));
        CheckDestination(images.Length, count * PixelCount, nameof(images));
        Enter();
        try
        {
            for (var start = 0; start < count; start += BatchSize)
            {
                var n = Math.Min(BatchSize, count - start);
                _decoder.Run(
                    latents.Slice(start * LatentDim, n * LatentDim),
                    n,
                    images.Slice(start * PixelCount, n * PixelCount),
                    Span<float>.Empty);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Decodes N latents into a new array of N × <see cref="PixelCount"/> floats.</summary>
    /// <param name="latents">N latents, concatenated.</param>
    /// <returns>The raw decoder outputs, concatenated.</returns>
    public float[] DecodeTensor(ReadOnlySpan<float> latents)
    {
        var count = CountItems(latents.Length, LatentDim, nameof(latents));
        var images = new float[count * PixelCount];
        DecodeTensor(latents, images);
        return images;
    }

    // ---- one image -------------------------------------------------------------------------

    /// <summary>Encodes one image file.</summary>
    /// <param name="path">An image file of one of the <see cref="ImageFormats"/>.</param>
    /// <returns>The latent (a VAE's mean), <see cref="LatentDim"/> floats.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public float[] Encode(string path)
    {
        ThrowIfDisposed();
        return Encode(Images.LoadTensor(path));
    }

    /// <summary>Encodes one encoded image stream.</summary>
    /// <param name="stream">The encoded image; not disposed.</param>
    /// <param name="name">Name for error messages.</param>
    /// <returns>The latent.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public float[] Encode(Stream stream, string? name = null)
    {
        ThrowIfDisposed();
        return Encode(Images.LoadTensor(stream, name));
    }

    /// <summary>Encodes one decoded image (any pixel format, any size).</summary>
    /// <param name="image">The image; not disposed.</param>
    /// <returns>The latent.</returns>
    public float[] Encode(Image image)
    {
        ThrowIfDisposed();
        return Encode(Images.ToTensor(image));
    }

    /// <summary>Encodes one preprocessed image tensor of exactly <see cref="PixelCount"/> floats.</summary>
    /// <param name="image">Normalized NCHW floats.</param>
    /// <returns>The latent.</returns>
    public float[] Encode(ReadOnlySpan<float> image)
    {
        CheckExact(image.Length, PixelCount, nameof(image));
        return EncodeTensor(image);
    }

    /// <summary>Decodes one latent to the raw decoder output.</summary>
    /// <param name="latent">Exactly <see cref="LatentDim"/> floats.</param>
    /// <returns><see cref="PixelCount"/> floats in normalized space, NCHW.</returns>
    public float[] Decode(ReadOnlySpan<float> latent)
    {
        CheckExact(latent.Length, LatentDim, nameof(latent));
        return DecodeTensor(latent);
    }

    /// <summary>Decodes one latent to an 8-bit image (<c>Image&lt;L8&gt;</c> or <c>Image&lt;Rgb24&gt;</c>).</summary>
    /// <param name="latent">Exactly <see cref="LatentDim"/> floats.</param>
    /// <returns>The image; the caller disposes it.</returns>
    public Image DecodeImage(ReadOnlySpan<float> latent) => Images.ToImage(Decode(latent));

    /// <summary>Reconstructs one image file: encode, decode, and measure the error.</summary>
    /// <param name="path">An image file of one of the <see cref="ImageFormats"/>.</param>
    /// <returns>Input tensor, latent, raw output and error.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public Reconstruction Reconstruct(string path)
    {
        ThrowIfDisposed();
        return Reconstruct(Images.LoadTensor(path).AsSpan());
    }

    /// <summary>Reconstructs one encoded image stream.</summary>
    /// <param name="stream">The encoded image; not disposed.</param>
    /// <param name="name">Name for error messages.</param>
    /// <returns>Input tensor, latent, raw output and error.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public Reconstruction Reconstruct(Stream stream, string? name = null)
    {
        ThrowIfDisposed();
        return Reconstruct(Images.LoadTensor(stream, name).AsSpan());
    }

    /// <summary>Reconstructs one decoded image.</summary>
    /// <param name="image">The image; not disposed.</param>
    /// <returns>Input tensor, latent, raw output and error.</returns>
    public Reconstruction Reconstruct(Image image)
    {
        ThrowIfDisposed();
        return Reconstruct(Images.ToTensor(image).AsSpan());
    }

    /// <summary>Reconstructs one preprocessed image tensor of exactly <see cref="PixelCount"/> floats.</summary>
    /// <param name="image">Normalized NCHW floats.</param>
    /// <returns>Input tensor, latent, raw output and error.</returns>
    public Reconstruction Reconstruct(ReadOnlySpan<float> image)
    {
        CheckExact(image.Length, PixelCount, nameof(image));
        var latent = EncodeTensor(image);
        var output = DecodeTensor(latent);
        return new Reconstruction(image.ToArray(), latent, output, MeasureError(image, output));
    }

    // ---- batches ---------------------------------------------------------------------------

    /// <summary>Encodes image files, in order; run in chunks of <see cref="BatchSize"/>.</summary>
    /// <param name="paths">Image files.</param>
    /// <returns>One latent per file.</returns>
    /// <exception cref="ImageLoadException">An image cannot be loaded (use <see cref="EncodeFilesAsync"/> for per-file errors).</exception>
    public float[][] EncodeBatch(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return EncodeChunks(paths.Count, (i, destination) => Images.LoadTensor(paths[i], destination));
    }

    /// <summary>Encodes decoded images, in order; run in chunks of <see cref="BatchSize"/>.</summary>
    /// <param name="images">Images of any pixel format and size; not disposed.</param>
    /// <returns>One latent per image.</returns>
    public float[][] EncodeBatch(IReadOnlyList<Image> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return EncodeChunks(images.Count, (i, destination) => Images.ToTensor(images[i], destination));
    }

    /// <summary>Decodes latents, in order; run in chunks of <see cref="BatchSize"/>.</summary>
    /// <param name="latents">Latents of <see cref="LatentDim"/> floats each.</param>
    /// <returns>One raw decoder output (<see cref="PixelCount"/> floats) per latent.</returns>
    public float[][] DecodeBatch(IReadOnlyList<float[]> latents)
    {
        ArgumentNullException.ThrowIfNull(latents);
        if (latents.Count == 0)
        {
            return []; // as EncodeBatch([]) does: an empty batch is no work, not an error
        }

        var flat = new float[latents.Count * LatentDim];
        for (var i = 0; i < latents.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(latents[i], nameof(latents));
            CheckExact(latents[i].Length, LatentDim, nameof(latents));
            latents[i].CopyTo(flat, i * LatentDim);
        }

        return Split(DecodeTensor(flat), latents.Count, PixelCount);
    }

    /// <summary>Reconstructs image files, in order.</summary>
    /// <param name="paths">Image files.</param>
    /// <returns>One reconstruction per file.</returns>
    /// <exception cref="ImageLoadException">An image cannot be loaded.</exception>
    public Reconstruction[] ReconstructBatch(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return ReconstructChunks(paths.Count, (i, destination) => Images.LoadTensor(paths[i], destination));
    }

    /// <summary>Reconstructs decoded images, in order.</summary>
    /// <param name="images">Images; not disposed.</param>
    /// <returns>One reconstruction per image.</returns>
    public Reconstruction[] ReconstructBatch(IReadOnlyList<Image> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return ReconstructChunks(images.Count, (i, destination) => Images.ToTensor(images[i], destination));
    }

    // ---- streams of files ------------------------------------------------------------------

    /// <summary>
    /// Encodes many image files with bounded memory: parallel decode workers feed a batcher that
    /// feeds inference, all overlapping; results come back in input order, one per path, with a
    /// per-file <see cref="PipelineResult.Failure"/> instead of stopping on a bad file. Only
    /// failures outside any one file (enumerating <paramref name="paths"/> throws, the model is
    /// disposed, cancellation) end the stream, by throwing from the enumeration.
    /// </summary>
    /// <param name="paths">Image files; enumerated lazily.</param>
    /// <param name="options">Workers, batch size, queue bound; defaults when null.</param>
    /// <param name="cancellationToken">Stops the pipeline.</param>
    /// <returns>Results in input order.</returns>
    public IAsyncEnumerable<PipelineResult> EncodeFilesAsync(IEnumerable<string> paths, PipelineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ThrowIfDisposed();
        return new FilePipeline(this, options ?? new PipelineOptions(), reconstruct: false).RunAsync(paths, cancellationToken);
    }

    /// <summary>
    /// Like <see cref="EncodeFilesAsync"/>, and also decodes each latent: results carry the raw
    /// reconstruction and its <see cref="ReconstructionError"/>.
    /// </summary>
    /// <param name="paths">Image files; enumerated lazily.</param>
    /// <param name="options">Workers, batch size, queue bound; defaults when null.</param>
    /// <param name="cancellationToken">Stops the pipeline.</param>
    /// <returns>Results in input order.</returns>
    public IAsyncEnumerable<PipelineResult> ReconstructFilesAsync(IEnumerable<string> paths, PipelineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ThrowIfDisposed();
        return new FilePipeline(this, options ?? new PipelineOptions(), reconstruct: true).RunAsync(paths, cancellationToken);
    }

    // ---- sampling and scores ---------------------------------------------------------------

    /// <summary>
    /// Draws latents from <see cref="SamplingDistribution"/> (the manifest's latent Gaussian, mean + L·z,
    /// when it has one; else a VAE's prior N(0, I)). Same seed, same samples.
    /// </summary>
    /// <param name="count">Number of latents.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>Count latents.</returns>
    /// <exception cref="InvalidOperationException">A plain autoencoder without latent statistics in its manifest.</exception>
    public float[][] SampleLatents(int count, int seed) => SampleLatents(count, seed, LatentSource.Auto);

    /// <summary>Draws latents from the distribution <paramref name="source"/> names. Same seed, same samples.</summary>
    /// <param name="count">Number of latents.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="source">Which distribution (see <see cref="GetSamplingDistribution"/>).</param>
    /// <returns>Count latents.</returns>
    /// <exception cref="InvalidOperationException">The model has no such distribution.</exception>
    public float[][] SampleLatents(int count, int seed, LatentSource source)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return GetSamplingDistribution(source).Sample(count, seed);
    }

    /// <summary>Samples latents (see <see cref="SampleLatents(int, int)"/>) and decodes them.</summary>
    /// <param name="count">Number of images.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>Count raw decoder outputs.</returns>
    public float[][] Sample(int count, int seed) => DecodeBatch(SampleLatents(count, seed));

    /// <summary>
    /// Decodes an interpolation path through key latents (<see cref="LatentMath.Path"/>):
    /// <paramref name="stepsPerSegment"/> images per segment, then the last key.
    /// </summary>
    /// <param name="keys">Two or more latents of <see cref="LatentDim"/> floats.</param>
    /// <param name="stepsPerSegment">Images per segment, 1 or more.</param>
    /// <param name="mode">Spherical (default) or linear.</param>
    /// <returns>Raw decoder outputs along the path, in order.</returns>
    public float[][] DecodePath(IReadOnlyList<float[]> keys, int stepsPerSegment, InterpolationMode mode = InterpolationMode.Spherical)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(keys));
            CheckExact(key.Length, LatentDim, nameof(keys));
        }

        return DecodeBatch(LatentMath.Path(keys, stepsPerSegment, mode));
    }

    /// <summary>
    /// Outlier score of a latent: its Mahalanobis distance under the training-set latent Gaussian
    /// (<see cref="LatentDistribution"/>). Typical training latents score around √D.
    /// </summary>
    /// <param name="latent">Exactly <see cref="LatentDim"/> floats.</param>
    /// <returns>The distance.</returns>
    /// <exception cref="InvalidOperationException">The manifest has no latent statistics.</exception>
    public double OutlierScore(ReadOnlySpan<float> latent)
    {
        CheckExact(latent.Length, LatentDim, nameof(latent));
        var distribution = _latentDistribution
            ?? throw new InvalidOperationException($"Model '{Name}' has no latent.mean/latent.cholesky in its manifest.");
        return distribution.Mahalanobis(latent);
    }

    /// <summary>MSE and PSNR between an encoder input and a decoder output, both mapped to [0,1] pixel space (output unclamped).</summary>
    /// <param name="input">Preprocessed input, <see cref="PixelCount"/> floats.</param>
    /// <param name="output">Raw decoder output, <see cref="PixelCount"/> floats.</param>
    /// <returns>The error.</returns>
    public ReconstructionError MeasureError(ReadOnlySpan<float> input, ReadOnlySpan<float> output)
    {
        CheckExact(input.Length, PixelCount, nameof(input));
        CheckExact(output.Length, PixelCount, nameof(output));
        var plane = Height * Width;
        var sum = 0.0;
        for (var i = 0; i < input.Length; i++)
        {
            var c = i / plane;
            var d = (double)Images.Denormalize(input[i], c) - Images.Denormalize(output[i], c);
            sum += d * d;
        }

        return ReconstructionError.FromMse(sum / input.Length);
    }

    /// <summary>
    /// Releases both sessions. Calls already running finish first (the sessions are released when
    /// the last one returns); later calls throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (Volatile.Read(ref _activeCalls) == 0)
        {
            Release();
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);

    // Calls register before touching a session so Dispose can defer the native release until the
    // last running call leaves; re-checking after registering closes the race with Dispose.
    private void Enter()
    {
        ThrowIfDisposed();
        Interlocked.Increment(ref _activeCalls);
        if (Volatile.Read(ref _disposed) == 1)
        {
            Exit();
            ThrowIfDisposed();
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _activeCalls) == 0 && Volatile.Read(ref _disposed) == 1)
        {
            Release();
        }
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _encoder.Dispose();
            _decoder.Dispose();
        }
    }

    private float[][] EncodeChunks(int count, Action<int, Span<float>> load)
    {
        ThrowIfDisposed();
        var result = new float[count][];
        var buffer = ArrayPool<float>.Shared.Rent(Math.Min(count, BatchSize) * PixelCount);
        var latents = ArrayPool<float>.Shared.Rent(Math.Min(count, BatchSize) * LatentDim);
        try
        {
            for (var start = 0; start < count; start += BatchSize)
            {
                var n = Math.Min(BatchSize, count - start);
                for (var i = 0; i < n; i++)
                {
                    load(start + i, buffer.AsSpan(i * PixelCount, PixelCount));
                }

                EncodeTensor(buffer.AsSpan(0, n * PixelCount), latents.AsSpan(0, n * LatentDim));
                for (var i = 0; i < n; i++)
                {
                    result[start + i] = latents.AsSpan(i * LatentDim, LatentDim).ToArray();
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

    private Reconstruction[] ReconstructChunks(int count, Action<int, Span<float>> load)
    {
        ThrowIfDisposed();
        var result = new Reconstruction[count];
        for (var start = 0; start < count; start += BatchSize)
        {
            var n = Math.Min(BatchSize, count - start);
            var inputs = new float[n * PixelCount];
            for (var i = 0; i < n; i++)
            {
                load(start + i, inputs.AsSpan(i * PixelCount, PixelCount));
            }

            var latents = EncodeTensor(inputs);
            var outputs = DecodeTensor(latents);
            for (var i = 0; i < n; i++)
            {
                var input = inputs.AsSpan(i * PixelCount, PixelCount).ToArray();
                var output = outputs.AsSpan(i * PixelCount, PixelCount).ToArray();
                result[start + i] = new Reconstruction(input, latents.AsSpan(i * LatentDim, LatentDim).ToArray(), output, MeasureError(input, output));
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

    private static int CountItems(int length, int size, string name)
    {
        if (length == 0 || length % size != 0)
        {
            throw new ArgumentException($"Expected a positive multiple of {size} floats, got {length}.", name);
        }

        return length / size;
    }

    // Exact, not "at least": a longer destination would leave its tail untouched, and a caller who
    // passed a whole pooled buffer would read stale floats there as if they were results.
    private static void CheckDestination(int length, int needed, string name)
    {
        if (length != needed)
        {
            throw new ArgumentException($"Expected exactly {needed} floats for the destination (one per output value of the given items), got {length}.", name);
        }
    }

    private static void CheckExact(int length, int expected, string name)
    {
        if (length != expected)
        {
            throw new ArgumentException($"Expected exactly {expected} floats, got {length}.", name);
        }
    }
}
