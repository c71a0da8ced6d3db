namespace AeOnnx.ML;

/// <summary>Settings shared by the AeOnnx estimators that run a model.</summary>
public abstract class AutoencoderColumnOptions
{
    /// <summary>
    /// The model folder (manifest.json, encoder.onnx, decoder.onnx). Required; no default.
    /// Only apply models from trusted sources: an ONNX graph is code-like input to ONNX Runtime.
    /// </summary>
    public string ModelDirectory { get; set; } = "";

    /// <summary>Where the graphs run: <see cref="Device.Auto"/> (default: CUDA when available, else CPU), <see cref="Device.Cpu"/> or <see cref="Device.Cuda(int)"/>. Wins over <see cref="ModelOptions"/>' device.</summary>
    public Device Device { get; set; } = Device.Auto;

    /// <summary>Rows per ONNX Runtime call when the transformer runs over an IDataView. Default <see cref="RunLimits.DefaultBatchSize"/> (64). Wins over <see cref="ModelOptions"/>' batch size.</summary>
    public int BatchSize { get; set; } = RunLimits.DefaultBatchSize;

    /// <summary>
    /// The core's load options, passed through: ORT intra-op threads and spinning, optimization level
    /// and optimized-graph cache, image limits, the log. Null (default): the core's defaults, except that
    /// intra-op threads left at 0 become 1 here: over a data view, batches then run one per core at once,
    /// single-threaded, as the <c>aeonnx</c> tool's folder jobs run them (for small models about twice the
    /// throughput of one run split over the cores); a value above 0 splits each run over that many threads
    /// and runs cores ÷ threads batches at once. Estimators given the same object share one loaded model;
    /// the object is copied, never changed.
    /// The log also receives this library's lines (model changes accepted by the policy, skipped rows,
    /// a pixel range that does not fit the manifest).
    /// </summary>
    public AutoencoderOptions? ModelOptions { get; set; }

    /// <summary>Which model the fitted transformer accepts when it loads its folder again (after <see cref="AeOnnxModelCache.Clear"/>, in another process). Default <see cref="AutoencoderModelPolicy.Pinned"/>.</summary>
    public AutoencoderModelPolicy ModelPolicy { get; set; } = AutoencoderModelPolicy.Pinned;

    /// <summary>
    /// For an input column of images (file paths, or ML.NET <c>MLImage</c>): what a bad image does.
    /// Default <see cref="AutoencoderBadImageHandling.Throw"/>. Vector inputs that carry NaN (a bad
    /// image upstream) give NaN outputs whatever this says.
    /// </summary>
    public AutoencoderBadImageHandling BadImages { get; set; } = AutoencoderBadImageHandling.Throw;

    /// <summary>The text column added under <see cref="AutoencoderBadImageHandling.ErrorColumn"/>: empty for good rows, the reason for bad ones. Default "ErrorMessage".</summary>
    public string ErrorColumnName { get; set; } = "ErrorMessage";

    /// <summary>Name of the column the estimator adds.</summary>
    public abstract string OutputColumnName { get; set; }

    /// <summary>Name of the column the estimator reads.</summary>
    public abstract string InputColumnName { get; set; }
}
