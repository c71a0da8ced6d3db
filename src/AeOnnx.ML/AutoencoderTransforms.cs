using AeOnnx.ML.Internal;
using Microsoft.ML;

namespace AeOnnx.ML;

/// <summary>
/// The AeOnnx transforms, reached as <c>mlContext.Transforms.Autoencoder()</c>. Every method takes
/// the output column first, then the input column(s), then the model folder, as ML.NET's own catalogs
/// (<c>ApplyOnnxModel(output, input, modelFile)</c>) do; each has an options overload.
/// </summary>
/// <remarks>
/// Only apply models from trusted sources: a model folder's ONNX graphs run in ONNX Runtime (native code).
/// </remarks>
public sealed class AutoencoderTransforms
{
    private const string DefaultModelStage = "AeOnnx";

    internal AutoencoderTransforms(TransformsCatalog catalog)
    {
        Catalog = catalog;
    }

    /// <summary>The ML.NET transforms catalog this hangs off.</summary>
    public TransformsCatalog Catalog { get; }

    /// <summary>Loads images into the model's pixel vector column with the core's preprocessing (decode, model color, resize when needed, normalize).</summary>
    /// <param name="outputColumnName">The Vector&lt;Single, C·H·W&gt; column to add.</param>
    /// <param name="inputColumnName">A text column of image file paths, or an ML.NET <c>MLImage</c> column (from ML.NET's <c>LoadImages</c>).</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <param name="imageFolder">The folder relative paths are resolved against; null: as given.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator LoadImages(string outputColumnName, string inputColumnName, string modelDirectory, string? imageFolder = null)
        => LoadImages(new AutoencoderImageLoadingOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ModelDirectory = modelDirectory, ImageFolder = imageFolder });

    /// <summary>Loads images into the model's pixel vector column (see the other overload).</summary>
    /// <param name="options">Columns, model folder, image folder, device, batch size, policy, bad-image handling, core options.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator LoadImages(AutoencoderImageLoadingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Create(options, OperationKind.LoadImages, "LoadImages", options.ImageFolder);
    }

    /// <summary>Encodes a normalized pixel vector column (or an ML.NET <c>MLImage</c> column) into a latent vector column (a VAE's mean).</summary>
    /// <param name="outputColumnName">The Vector&lt;Single, D&gt; column to add.</param>
    /// <param name="inputColumnName">The Vector&lt;Single, C·H·W&gt; pixel column, or an MLImage column.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator Encode(string outputColumnName, string inputColumnName, string modelDirectory)
        => Encode(new AutoencoderEncodingOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ModelDirectory = modelDirectory });

    /// <summary>Encodes into a latent vector column.</summary>
    /// <param name="options">Columns, model folder, device, batch size, policy, bad-image handling, core options.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator Encode(AutoencoderEncodingOptions options) => Create(options, OperationKind.Encode, "Encode", null);

    /// <summary>Decodes a latent column into a pixel vector column (raw decoder output, normalized space). Turn it into images with <see cref="AutoencoderImages"/>.</summary>
    /// <param name="outputColumnName">The Vector&lt;Single, C·H·W&gt; column to add.</param>
    /// <param name="inputColumnName">The Vector&lt;Single, D&gt; latent column.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator Decode(string outputColumnName, string inputColumnName, string modelDirectory)
        => Decode(new AutoencoderDecodingOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ModelDirectory = modelDirectory });

    /// <summary>Decodes a latent column into a pixel vector column.</summary>
    /// <param name="options">Columns, model folder, device, batch size, policy, core options.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator Decode(AutoencoderDecodingOptions options) => Create(options, OperationKind.Decode, "Decode", null);

    /// <summary>Runs pixels (a vector or an MLImage column) through encoder and decoder: the reconstruction, in normalized space.</summary>
    /// <param name="outputColumnName">The Vector&lt;Single, C·H·W&gt; column to add.</param>
    /// <param name="inputColumnName">The Vector&lt;Single, C·H·W&gt; pixel column, or an MLImage column.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator Reconstruct(string outputColumnName, string inputColumnName, string modelDirectory)
        => Reconstruct(new AutoencoderReconstructionOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ModelDirectory = modelDirectory });

    /// <summary>Runs pixels through encoder and decoder.</summary>
    /// <param name="options">Columns, model folder, device, batch size, policy, bad-image handling, core options.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator Reconstruct(AutoencoderReconstructionOptions options) => Create(options, OperationKind.Reconstruct, "Reconstruct", null);

    /// <summary>Adds each row's reconstruction error (MSE in [0,1] pixel space) as a Single column: an anomaly score, higher is stranger.</summary>
    /// <param name="outputColumnName">The Single column to add.</param>
    /// <param name="inputColumnName">The Vector&lt;Single, C·H·W&gt; pixel column, or an MLImage column.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator ReconstructionError(string outputColumnName, string inputColumnName, string modelDirectory)
        => ReconstructionError(new AutoencoderReconstructionErrorOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ModelDirectory = modelDirectory });

    /// <summary>Adds each row's reconstruction error as a Single column.</summary>
    /// <param name="options">Columns, model folder, device, batch size, policy, bad-image handling, core options.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator ReconstructionError(AutoencoderReconstructionErrorOptions options) => Create(options, OperationKind.ReconstructionError, "ReconstructionError", null);

    /// <summary>
    /// Adds each row's anomaly score as a Single column (default "Score"): the model's calibrated default score
    /// (docs/MODEL-FORMAT.md, anomaly), or the reconstruction MSE for a model without calibration. Larger is more anomalous.
    /// </summary>
    /// <param name="outputColumnName">The Single column to add.</param>
    /// <param name="inputColumnName">The Vector&lt;Single, C·H·W&gt; pixel column, or an MLImage column.</param>
    /// <param name="modelDirectory">The model folder. Only apply models from trusted sources.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator AnomalyScore(string outputColumnName, string inputColumnName, string modelDirectory)
        => AnomalyScore(new AutoencoderAnomalyOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ModelDirectory = modelDirectory });

    /// <summary>Adds each row's anomaly score as a Single column (see <see cref="AnomalyScore(string, string, string)"/>).</summary>
    /// <param name="options">Columns, model folder, device, batch size, policy, bad-image handling, core options.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    public AutoencoderEstimator AnomalyScore(AutoencoderAnomalyOptions options) => Create(options, OperationKind.AnomalyScore, "AnomalyScore", null);

    /// <summary>
    /// One-class anomaly detection: the anomaly score column (default "Score") and a Boolean column (default
    /// "PredictedLabel") that is true when the score is above the threshold: the model's calibrated threshold for
    /// <see cref="AutoencoderAnomalyOptions.FalsePositiveRate"/>, or <see cref="AutoencoderAnomalyOptions.Threshold"/>.
    /// With a Boolean "Label" column, <c>mlContext.AnomalyDetection.Evaluate</c> reads the result directly.
    /// The decision is ML.NET's own <c>Expression</c> transform (saveable with the pipeline); its threshold is fixed
    /// when the pipeline is built.
    /// </summary>
    /// <param name="options">Columns, model folder, false-positive rate or threshold, device, batch size, bad-image handling.</param>
    /// <returns>The estimator chain: score, then decision.</returns>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    /// <exception cref="InvalidOperationException">No threshold was given and the model has no calibration.</exception>
    public IEstimator<ITransformer> DetectAnomalies(AutoencoderAnomalyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.PredictedLabelColumnName, nameof(options));
        var score = AnomalyScore(options);
        var threshold = options.Threshold;
        if (threshold is null)
        {
            var manifest = AeOnnx.Models.ModelManifest.Read(Path.Combine(Path.GetFullPath(options.ModelDirectory), AeOnnx.Models.ModelManifest.FileName));
            var calibration = manifest.Anomaly ?? throw new InvalidOperationException(
                $"Model '{manifest.Name}' has no anomaly calibration in its manifest: calibrate it (training-scripts/calibrate.py) or set AutoencoderAnomalyOptions.Threshold.");
            threshold = calibration.Threshold(options.FalsePositiveRate);
        }

        if (!double.IsFinite(threshold.Value))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"AutoencoderAnomalyOptions.Threshold must be finite, found {threshold}.");
        }

        // the score column is Single: the comparison is made in float, as ML.NET's evaluators see the score
        var literal = ((float)threshold.Value).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return score.Append(Catalog.Expression(options.PredictedLabelColumnName, $"s => s > {literal}", options.OutputColumnName));
    }

    /// <summary>Adds the point at <paramref name="t"/> between two latent columns (spherical by default). Needs no model.</summary>
    /// <param name="outputColumnName">The Vector&lt;Single, D&gt; column to add.</param>
    /// <param name="firstColumnName">The start latent column (t = 0).</param>
    /// <param name="secondColumnName">The end latent column (t = 1), same size.</param>
    /// <param name="t">Position; 0.5 is the midpoint.</param>
    /// <returns>The estimator.</returns>
    public AutoencoderEstimator InterpolateLatents(string outputColumnName, string firstColumnName, string secondColumnName, float t = 0.5f)
        => InterpolateLatents(new LatentInterpolationOptions { OutputColumnName = outputColumnName, FirstColumnName = firstColumnName, SecondColumnName = secondColumnName, T = t });

    /// <summary>Adds the point between two latent columns given by <paramref name="options"/>.</summary>
    /// <param name="options">Columns, t and mode.</param>
    /// <returns>The estimator.</returns>
    public AutoencoderEstimator InterpolateLatents(LatentInterpolationOptions options)
    {
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
            Device = "cpu",
        };
        return new AutoencoderEstimator(spec, null, null, nameof(InterpolateLatents));
    }

    private static AutoencoderEstimator Create(AutoencoderColumnOptions options, OperationKind kind, string stage, string? imageFolder)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ModelDirectory, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, nameof(options));
        if (options.BadImages == AutoencoderBadImageHandling.ErrorColumn)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(options.ErrorColumnName, nameof(options));
        }

        var folder = Path.GetFullPath(options.ModelDirectory);
        var source = new ModelSource.Cached(folder, options.Device, options.BatchSize, options.ModelOptions);
        // Loading here (not at Fit) reports a bad folder where the pipeline is written.
        using var lease = source.Acquire();
        var model = lease.Model;
        var spec = new MappingSpec
        {
            Kind = kind,
            Input = kind == OperationKind.LoadImages ? MappingInput.Path : MappingInput.Vector,
            InputColumns = [options.InputColumnName],
            OutputColumn = options.OutputColumnName,
            InputSize = 0,
            OutputSize = 0,
            ModelDirectory = folder,
            Device = options.Device.ToString(),
            BatchSize = options.BatchSize,
            IntraOpThreads = options.ModelOptions?.IntraOpThreads ?? 0,
            Policy = options.ModelPolicy,
            BadImages = options.BadImages,
            ErrorColumn = options.BadImages == AutoencoderBadImageHandling.ErrorColumn ? options.ErrorColumnName : "",
            ImageFolder = imageFolder ?? "",
        };
        spec = ModelBinding.Describe(spec, model);
        return new AutoencoderEstimator(spec, source, options.ModelOptions?.Logger, $"{stage} ({DefaultModelStage} model '{model.Name}')");
    }
}
