using AeOnnx.Imaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AeOnnx;

/// <summary>
/// Options for <see cref="Autoencoder.Load(string, AutoencoderOptions?)"/>. Every property has a documented
/// default. Immutable: derive a variant with <c>options with { BatchSize = 16 }</c>; the library never
/// changes an options object it is given.
/// </summary>
public sealed record AutoencoderOptions
{
    /// <summary>Where inference runs. Default <see cref="Device.Auto"/>: CUDA when it starts, otherwise CPU.</summary>
    public Device Device { get; init; } = Device.Auto;

    /// <summary>Threads ONNX Runtime uses inside one operator; 0 (default) lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin while waiting for work (default false).
    /// Spinning shaves latency off back-to-back calls on otherwise idle cores, but steals CPU from
    /// image decoding running beside inference, as in the folder pipeline.
    /// </summary>
    public bool IntraOpSpinning { get; init; }

    /// <summary>How much ONNX Runtime rewrites the graphs. Default <see cref="GraphOptimization.All"/>.</summary>
    public GraphOptimization OptimizationLevel { get; init; } = GraphOptimization.All;

    /// <summary>
    /// Optional folder for optimized graphs. When set, each graph is saved there after ONNX Runtime
    /// optimizes it, keyed by the graph's SHA-256, the optimization level, the device, the ONNX Runtime
    /// version and the CPU, and later loads reuse that file instead of optimizing again. A cached file
    /// is used only when it names the verified graph's SHA-256 and its own bytes match the SHA-256 in
    /// its header; any other file is logged, deleted and rebuilt. Default null (no cache).
    /// </summary>
    public string? OptimizedModelCacheDirectory { get; init; }

    /// <summary>
    /// Extra CUDA execution provider options (ONNX Runtime's names, e.g. <c>gpu_mem_limit</c>), applied
    /// over AeOnnx's defaults when a session runs on CUDA: <c>cudnn_conv_algo_search=EXHAUSTIVE</c> and
    /// <c>cudnn_conv_use_max_workspace=1</c> (batches repeat shapes, so measuring each convolution
    /// algorithm once pays back), <c>arena_extend_strategy=kSameAsRequested</c> (a large batch does not
    /// double the reserved memory), <c>do_copy_in_default_stream=1</c> and <c>use_tf32=0</c> (float32
    /// results within 1e-4 of the CPU provider). <c>device_id</c> always comes from <see cref="Device"/>.
    /// Default empty.
    /// </summary>
    public IReadOnlyDictionary<string, string> CudaProviderOptions { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Most images per <c>Run</c> call; larger batches are split. Default <see cref="RunLimits.DefaultBatchSize"/> (64);
    /// at most <see cref="RunLimits.LargestBatch(Models.ModelManifest)"/> for the model (checked at load).
    /// </summary>
    public int BatchSize { get; init; } = RunLimits.DefaultBatchSize;

    /// <summary>File-size and pixel-count limits for decoded images. Default <see cref="ImageLimits.Default"/>.</summary>
    public ImageLimits ImageLimits { get; init; } = ImageLimits.Default;

    /// <summary>
    /// Where the library logs its diagnostics: the model and execution provider chosen (Information),
    /// why CUDA was skipped under <see cref="Device.Auto"/> (Information, event id 1), a CUDA session
    /// that failed or an unusable cached graph (Warning). Default <see cref="NullLogger.Instance"/>.
    /// Pass a logger from your <c>ILoggerFactory</c>, e.g. <c>factory.CreateLogger&lt;Autoencoder&gt;()</c>.
    /// </summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}
