using AeOnnx.Imaging;
using AeOnnx.Latents;
using AeOnnx.Models;
using AeOnnx.Pipeline;
using AeOnnx.Runtime;

namespace AeOnnx;

/// <summary>
/// A loaded encoder/decoder pair: the model's facts and its tensor API (encode, decode, reconstruct
/// flat NCHW floats). Images from files, streams and memory: <see cref="AutoencoderImageExtensions"/>;
/// lists and folders of files: <see cref="AutoencoderBatchExtensions"/>; sampling, interpolation paths
/// and outlier scores: <see cref="AutoencoderSamplingExtensions"/>. One ONNX Runtime session per
/// graph, created once and shared: every member is safe to call from many threads at once.
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
    private readonly CallGate _calls;

    private Autoencoder(LoadedModel model, AutoencoderOptions options)
    {
        Folder = model.Folder;
        Manifest = model.Manifest;
        Device = model.Device;
        _encoder = model.Encoder;
        _decoder = model.Decoder;
        _calls = new CallGate(this, () =>
        {
            _encoder.Dispose();
            _decoder.Dispose();
        });
        BatchSize = options.BatchSize;
        IntraOpThreads = options.IntraOpThreads;
        Options = options;
        Images = new ImageConverter(Manifest.Image, options.ImageLimits);
        if (Manifest.Latent is { Mean: { } mean, Cholesky: { } cholesky })
        {
            _latentDistribution = new LatentGaussian(mean, cholesky);
        }

        _priorDistribution = IsVariational ? LatentGaussian.Standard(Manifest.Latent.Dim) : null;
    }

    /// <summary>The options the model was loaded with (a swap of a host or binding loads its successor with the same).</summary>
    internal AutoencoderOptions Options { get; }

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
    /// The distribution <see cref="AutoencoderSamplingExtensions.SampleLatents(Autoencoder, int, int)"/> draws from (<see cref="LatentSource.Auto"/>):
    /// <see cref="LatentDistribution"/> when the manifest has statistics, else a VAE's prior N(0, I);
    /// null when neither is available.
    /// </summary>
    public LatentGaussian? SamplingDistribution => _latentDistribution ?? _priorDistribution;

    /// <summary>A VAE's prior N(0, I); null for a plain autoencoder.</summary>
    public LatentGaussian? PriorDistribution => _priorDistribution;

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
        var count = TensorArguments.CountItems(images.Length, PixelCount, nameof(images));
        TensorArguments.CheckDestination(latents.Length, count * LatentDim, nameof(latents));
        if (!logVariances.IsEmpty)
        {
            if (!IsVariational)
            {
                throw new InvalidOperationException($"Model '{Name}' is a plain autoencoder: it has no log-variance output.");
            }

            TensorArguments.CheckDestination(logVariances.Length, count * LatentDim, nameof(logVariances));
        }

        _calls.Enter();
        try
        {
            _encoder.RunInBatches(images, count, latents, logVariances, BatchSize);
        }
        finally
        {
            _calls.Exit();
        }
    }

    /// <summary>Encodes N images into a new array of N × <see cref="LatentDim"/> floats.</summary>
    /// <param name="images">N images, NCHW, concatenated.</param>
    /// <returns>The latents, concatenated.</returns>
    public float[] EncodeTensor(ReadOnlySpan<float> images)
    {
        var count = TensorArguments.CountItems(images.Length, PixelCount, nameof(images));
        var latents = new float[count * LatentDim];
        EncodeTensor(images, latents);
        return latents;
    }

    /// <summary>Decodes N latents (N × <see cref="LatentDim"/> floats) into N raw decoder outputs.</summary>
    /// <param name="latents">N latents, concatenated.</param>
    /// <param name="images">Exactly N × <see cref="PixelCount"/> floats to overwrite (normalized space, NCHW).</param>
    public void DecodeTensor(ReadOnlySpan<float> latents, Span<float> images)
    {
        var count = TensorArguments.CountItems(latents.Length, LatentDim, nameof(latents));
        TensorArguments.CheckDestination(images.Length, count * PixelCount, nameof(images));
        _calls.Enter();
        try
        {
            _decoder.RunInBatches(latents, count, images, Span<float>.Empty, BatchSize);
        }
        finally
        {
            _calls.Exit();
        }
    }

    /// <summary>Decodes N latents into a new array of N × <see cref="PixelCount"/> floats.</summary>
    /// <param name="latents">N latents, concatenated.</param>
    /// <returns>The raw decoder outputs, concatenated.</returns>
    public float[] DecodeTensor(ReadOnlySpan<float> latents)
    {
        var count = TensorArguments.CountItems(latents.Length, LatentDim, nameof(latents));
        var images = new float[count * PixelCount];
        DecodeTensor(latents, images);
        return images;
    }

    /// <summary>Encodes one preprocessed image tensor of exactly <see cref="PixelCount"/> floats.</summary>
    /// <param name="image">Normalized NCHW floats.</param>
    /// <returns>The latent.</returns>
    public float[] Encode(ReadOnlySpan<float> image)
    {
        TensorArguments.CheckExact(image.Length, PixelCount, nameof(image));
        return EncodeTensor(image);
    }

    /// <summary>Decodes one latent to the raw decoder output.</summary>
    /// <param name="latent">Exactly <see cref="LatentDim"/> floats.</param>
    /// <returns><see cref="PixelCount"/> floats in normalized space, NCHW.</returns>
    public float[] Decode(ReadOnlySpan<float> latent)
    {
        TensorArguments.CheckExact(latent.Length, LatentDim, nameof(latent));
        return DecodeTensor(latent);
    }

    /// <summary>Reconstructs one preprocessed image tensor of exactly <see cref="PixelCount"/> floats.</summary>
    /// <param name="image">Normalized NCHW floats.</param>
    /// <returns>Input tensor, latent, raw output and error.</returns>
    public Reconstruction Reconstruct(ReadOnlySpan<float> image)
    {
        TensorArguments.CheckExact(image.Length, PixelCount, nameof(image));
        var latent = EncodeTensor(image);
        var output = DecodeTensor(latent);
        return new Reconstruction(image.ToArray(), latent, output, MeasureError(image, output));
    }

    /// <summary>MSE and PSNR between an encoder input and a decoder output, both mapped to [0,1] pixel space (output unclamped).</summary>
    /// <param name="input">Preprocessed input, <see cref="PixelCount"/> floats.</param>
    /// <param name="output">Raw decoder output, <see cref="PixelCount"/> floats.</param>
    /// <returns>The error.</returns>
    public ReconstructionError MeasureError(ReadOnlySpan<float> input, ReadOnlySpan<float> output)
    {
        TensorArguments.CheckExact(input.Length, PixelCount, nameof(input));
        TensorArguments.CheckExact(output.Length, PixelCount, nameof(output));
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
    public void Dispose() => _calls.Dispose();

    internal void ThrowIfDisposed() => _calls.ThrowIfDisposed();
}
