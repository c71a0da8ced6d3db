using AeOnnx.ML.Internal;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace AeOnnx.ML;

/// <summary>
/// ML.NET catalog extensions for AeOnnx autoencoders: image files to pixel vectors, encode, decode,
/// reconstruct, reconstruction error, latent interpolation; and registration for loading saved
/// pipelines.
/// </summary>
/// <remarks>
/// <para><b>Trust.</b> Only apply models from trusted sources. A model folder's ONNX graphs are run
/// by ONNX Runtime; a crafted graph or manifest is untrusted input to native code. Image files are
/// decoded by ImageSharp with the core's limited decoder set and size limits.</para>
/// <para><b>Who disposes what.</b> Estimators and transformers own no ONNX Runtime sessions: every
/// model folder is loaded once per process and device into <see cref="AeOnnxModelCache"/>, shared,
/// and released by <see cref="AeOnnxModelCache.Clear"/>. Cursors that ML.NET hands out are disposed
/// by their users as usual.</para>
/// <para><b>Pixel columns.</b> A pixel vector is C·H·W floats, NCHW (planar), normalized as the
/// manifest says: <c>x = (p / scale − mean[c]) / std[c]</c>. Columns from ML.NET's own
/// <c>LoadImages → ResizeImages → ExtractPixels</c> work when <c>ExtractPixels</c> produces the same
/// numbers: <c>interleavePixelColors: false</c> (planar, the default), <c>outputAsFloatArray: true</c>,
/// <c>scaleImage = 1 / (scale · std)</c> and <c>offsetImage = mean · scale</c> (ExtractPixels computes
/// <c>(p − offset) · scale</c>; one offset and scale for all channels, so per-channel mean/std must be
/// equal), and for a gray model <c>colorsToExtract: ColorBits.Red</c> on gray images. ML.NET's
/// <c>ConvertToGrayscale</c> uses other weights than the model contract's integer BT.601 rule
/// (<c>(R·19595 + G·38470 + B·7471 + 32768) &gt;&gt; 16</c>) and ML.NET's resizers differ from
/// ImageSharp's, so for color or off-size images prefer <see cref="LoadAutoencoderImages(TransformsCatalog, string, string, string)"/>,
/// which runs the core's preprocessing.</para>
/// <para><b>Saving and loading.</b> Fitted pipelines save with <c>mlContext.Model.Save</c> as usual.
/// To load one, first call <see cref="RegisterAeOnnx(ComponentCatalog, string, AeOnnxLoadOptions?)"/>
/// on the loading context's <c>ComponentCatalog</c> with the same file, then <c>mlContext.Model.Load</c>.
/// The model folders must still exist (at the saved path, or as given in <see cref="AeOnnxLoadOptions.ModelDirectories"/>)
/// with the same graphs (SHA-256 checked).</para>
/// </remarks>
public static class AeOnnxCatalog
{
    private const string DefaultModelStage = "AeOnnx";

    /// <summary>Loads image files into the model's pixel vector column with the core's preprocessing (ImageSharp: decode, model color, resize when needed, normalize).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <param name="outputColumnName">The Vector&lt;Single, C·H·W&gt; column to add.</param>
    /// <param name="inputColumnName">The text column of image file paths.</param>
    /// <returns>The estimator.</returns>
    public static AutoencoderEstimator LoadAutoencoderImages(this TransformsCatalog catalog, string modelDirectory, string outputColumnName = "Pixels", string inputColumnName = "ImagePath")
        => LoadAutoencoderImages(catalog, new AutoencoderImageLoadingOptions { ModelDirectory = modelDirectory, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>Loads image files into the model's pixel vector column (see the other overload).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Model folder, columns, device, batch size.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public static AutoencoderEstimator LoadAutoencoderImages(this TransformsCatalog catalog, AutoencoderImageLoadingOptions options)
        => Create(catalog, options, OperationKind.LoadImages, nameof(LoadAutoencoderImages));

    /// <summary>Encodes a normalized pixel vector column into a latent vector column (a VAE's mean).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <param name="outputColumnName">The Vector&lt;Single, D&gt; column to add.</param>
    /// <param name="inputColumnName">The Vector&lt;Single, C·H·W&gt; pixel column.</param>
    /// <returns>The estimator.</returns>
    public static AutoencoderEstimator EncodeWithAutoencoder(this TransformsCatalog catalog, string modelDirectory, string outputColumnName = "Latent", string inputColumnName = "Pixels")
        => EncodeWithAutoencoder(catalog, new AutoencoderEncodingOptions { ModelDirectory = modelDirectory, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>Encodes a normalized pixel vector column into a latent vector column.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Model folder, columns, device, batch size.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public static AutoencoderEstimator EncodeWithAutoencoder(this TransformsCatalog catalog, AutoencoderEncodingOptions options)
        => Create(catalog, options, OperationKind.Encode, nameof(EncodeWithAutoencoder));

    /// <summary>Decodes a latent column into a pixel vector column (raw decoder output, normalized space). Turn it into images with <see cref="AutoencoderImages"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <param name="outputColumnName">The Vector&lt;Single, C·H·W&gt; column to add.</param>
    /// <param name="inputColumnName">The Vector&lt;Single, D&gt; latent column.</param>
    /// <returns>The estimator.</returns>
    public static AutoencoderEstimator DecodeWithAutoencoder(this TransformsCatalog catalog, string modelDirectory, string outputColumnName = "Decoded", string inputColumnName = "Latent")
        => DecodeWithAutoencoder(catalog, new AutoencoderDecodingOptions { ModelDirectory = modelDirectory, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>Decodes a latent column into a pixel vector column.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Model folder, columns, device, batch size.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public static AutoencoderEstimator DecodeWithAutoencoder(this TransformsCatalog catalog, AutoencoderDecodingOptions options)
        => Create(catalog, options, OperationKind.Decode, nameof(DecodeWithAutoencoder));

    /// <summary>Runs a pixel vector column through encoder and decoder: the reconstruction, in normalized space.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <param name="outputColumnName">The Vector&lt;Single, C·H·W&gt; column to add.</param>
    /// <param name="inputColumnName">The Vector&lt;Single, C·H·W&gt; pixel column.</param>
    /// <returns>The estimator.</returns>
    public static AutoencoderEstimator ReconstructWithAutoencoder(this TransformsCatalog catalog, string modelDirectory, string outputColumnName = "Reconstruction", string inputColumnName = "Pixels")
        => ReconstructWithAutoencoder(catalog, new AutoencoderReconstructionOptions { ModelDirectory = modelDirectory, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>Runs a pixel vector column through encoder and decoder.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Model folder, columns, device, batch size.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public static AutoencoderEstimator ReconstructWithAutoencoder(this TransformsCatalog catalog, AutoencoderReconstructionOptions options)
        => Create(catalog, options, OperationKind.Reconstruct, nameof(ReconstructWithAutoencoder));

    /// <summary>Adds each row's reconstruction error (MSE in [0,1] pixel space) as a Single column: an anomaly score, higher is stranger.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <param name="outputColumnName">The Single column to add.</param>
    /// <param name="inputColumnName">The Vector&lt;Single, C·H·W&gt; pixel column.</param>
    /// <returns>The estimator.</returns>
    public static AutoencoderEstimator AutoencoderReconstructionError(this TransformsCatalog catalog, string modelDirectory, string outputColumnName = "ReconstructionError", string inputColumnName = "Pixels")
        => AutoencoderReconstructionError(catalog, new AutoencoderReconstructionErrorOptions { ModelDirectory = modelDirectory, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>Adds each row's reconstruction error as a Single column.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Model folder, columns, device, batch size.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public static AutoencoderEstimator AutoencoderReconstructionError(this TransformsCatalog catalog, AutoencoderReconstructionErrorOptions options)
        => Create(catalog, options, OperationKind.ReconstructionError, nameof(AutoencoderReconstructionError));

    /// <summary>Adds the point at <paramref name="t"/> between two latent columns (spherical by default). Needs no model.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The Vector&lt;Single, D&gt; column to add.</param>
    /// <param name="firstColumnName">The start latent column (t = 0).</param>
    /// <param name="secondColumnName">The end latent column (t = 1), same size.</param>
    /// <param name="t">Position; 0.5 is the midpoint.</param>
    /// <returns>The estimator.</returns>
    public static AutoencoderEstimator InterpolateLatents(this TransformsCatalog catalog, string outputColumnName, string firstColumnName, string secondColumnName, float t = 0.5f)
        => InterpolateLatents(catalog, new LatentInterpolationOptions { OutputColumnName = outputColumnName, FirstColumnName = firstColumnName, SecondColumnName = secondColumnName, T = t });

    /// <summary>Adds the point between two latent columns given by <paramref name="options"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Columns, t and mode.</param>
    /// <returns>The estimator.</returns>
    public static AutoencoderEstimator InterpolateLatents(this TransformsCatalog catalog, LatentInterpolationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FirstColumnName, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.SecondColumnName, nameof(options));
        if (!float.IsFinite(options.T))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"LatentInterpolationOptions.T must be finite, found {options.T}.");
        }

        var spec = new MappingSpec
        {
            Kind = OperationKind.Interpolate,
            InputColumns = [options.FirstColumnName, options.SecondColumnName],
            OutputColumn = options.OutputColumnName,
            InputSize = 1,
            OutputSize = 1,
            T = options.T,
            Mode = options.Mode,
        };
        return new AutoencoderEstimator(spec, Device.Cpu, nameof(InterpolateLatents));
    }

    /// <summary>
    /// Makes the AeOnnx mappings in a saved ML.NET model loadable by this catalog's context. Call it
    /// before <c>mlContext.Model.Load</c> of the same file:
    /// <code>
    /// var mlContext = new MLContext();
    /// mlContext.ComponentCatalog.RegisterAeOnnx("model.zip");
    /// var model = mlContext.Model.Load("model.zip", out var inputSchema);
    /// </code>
    /// It reads the mapping descriptions stored in the zip, generates one <c>CustomMappingFactory</c>
    /// per mapping (once per process) and registers them. Models are resolved when the pipeline is
    /// first used, from the folder recorded at save time or <see cref="AeOnnxLoadOptions.ModelDirectories"/>,
    /// and must have the saved SHA-256. Only load pipelines and models from trusted sources.
    /// </summary>
    /// <param name="catalog">The loading context's <c>mlContext.ComponentCatalog</c>.</param>
    /// <param name="savedModelPath">The file written by <c>mlContext.Model.Save</c>.</param>
    /// <param name="options">Model folder overrides and device; null for the saved ones.</param>
    /// <returns>How many AeOnnx mappings were found and registered.</returns>
    public static int RegisterAeOnnx(this ComponentCatalog catalog, string savedModelPath, AeOnnxLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(savedModelPath);
        using var stream = File.OpenRead(savedModelPath);
        return RegisterAeOnnx(catalog, stream, options);
    }

    /// <summary>Like <see cref="RegisterAeOnnx(ComponentCatalog, string, AeOnnxLoadOptions?)"/>, reading the saved model from a seekable stream (rewind it before loading).</summary>
    /// <param name="catalog">The loading context's <c>mlContext.ComponentCatalog</c>.</param>
    /// <param name="savedModel">The saved model; read, not disposed.</param>
    /// <param name="options">Model folder overrides and device; null for the saved ones.</param>
    /// <returns>How many AeOnnx mappings were found and registered.</returns>
    public static int RegisterAeOnnx(this ComponentCatalog catalog, Stream savedModel, AeOnnxLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(savedModel);
        var contracts = LoadTimeRegistry.FindContracts(savedModel);
        foreach (var contract in contracts)
        {
            var spec = MappingSpec.Parse(contract);
            string? folder = null;
            if (options is not null && options.ModelDirectories.TryGetValue(spec.ModelName, out var dir))
            {
                folder = dir;
            }

            LoadTimeRegistry.Register(catalog, contract, folder, options?.Device);
        }

        return contracts.Count;
    }

    /// <summary>
    /// Loads a saved pipeline that contains AeOnnx mappings and gives it back with those mappings
    /// batched again: <see cref="RegisterAeOnnx(ComponentCatalog, string, AeOnnxLoadOptions?)"/>, then
    /// <c>mlContext.Model.Load</c>, then every loaded AeOnnx <c>CustomMapping</c> (one row per model
    /// call) is replaced by the equivalent <see cref="AutoencoderTransformer"/> (batches of the saved
    /// batch size). Same outputs and schema as a plain <c>Model.Load</c> after registering; faster over
    /// IDataViews. Transformer chains are rebuilt with ML.NET's public constructor, which keeps the
    /// transformers and their order but not a chain's per-transformer scopes (these only matter to
    /// <c>TransformerChain.GetModelFor</c>).
    /// </summary>
    /// <param name="mlContext">The loading context.</param>
    /// <param name="savedModelPath">The file written by <c>mlContext.Model.Save</c>. Only load pipelines and models from trusted sources.</param>
    /// <param name="inputSchema">The schema the pipeline was saved with.</param>
    /// <param name="options">Model folder overrides and device; null for the saved ones.</param>
    /// <returns>The loaded pipeline.</returns>
    public static ITransformer LoadWithAeOnnx(this MLContext mlContext, string savedModelPath, out DataViewSchema inputSchema, AeOnnxLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        RegisterAeOnnx(mlContext.ComponentCatalog, savedModelPath, options);
        var loaded = mlContext.Model.Load(savedModelPath, out inputSchema);
        return Rebatch(loaded);
    }

    private static ITransformer Rebatch(ITransformer transformer)
    {
        var type = transformer.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Microsoft.ML.Transforms.CustomMappingTransformer<,>))
        {
            var registration = LoadTimeRegistry.TryLookupByInputType(type.GetGenericArguments()[0]);
            return registration is null
                ? transformer
                : new AutoencoderTransformer(Operation.Create(registration.Spec, registration.ModelDirectory, registration.Device), $"{registration.Spec.Kind} (loaded)");
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Microsoft.ML.Data.TransformerChain<>))
        {
            var parts = ((IEnumerable<ITransformer>)transformer).ToArray();
            var rebuilt = parts.Select(Rebatch).ToArray();
            return rebuilt.SequenceEqual(parts) ? transformer : new Microsoft.ML.Data.TransformerChain<ITransformer>(rebuilt);
        }

        return transformer;
    }

    private static AutoencoderEstimator Create(TransformsCatalog catalog, AutoencoderColumnOptions options, OperationKind kind, string stage)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ModelDirectory, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, nameof(options));
        var folder = Path.GetFullPath(options.ModelDirectory);
        var model = ModelCache.Get(folder, options.Device, options.BatchSize);
        var (inSize, outSize) = kind switch
        {
            OperationKind.LoadImages => (0, model.PixelCount),
            OperationKind.Encode => (model.PixelCount, model.LatentDim),
            OperationKind.Decode => (model.LatentDim, model.PixelCount),
            OperationKind.Reconstruct => (model.PixelCount, model.PixelCount),
            OperationKind.ReconstructionError => (model.PixelCount, 0),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var spec = new MappingSpec
        {
            Kind = kind,
            InputColumns = [options.InputColumnName],
            OutputColumn = options.OutputColumnName,
            InputSize = inSize,
            OutputSize = outSize,
            ModelDirectory = folder,
            ModelName = model.Name,
            ModelIdentity = ModelCache.Identity(model),
            Device = options.Device.ToString(),
            BatchSize = options.BatchSize,
        };
        return new AutoencoderEstimator(spec, options.Device, $"{stage} ({DefaultModelStage} model '{model.Name}')");
    }
}
