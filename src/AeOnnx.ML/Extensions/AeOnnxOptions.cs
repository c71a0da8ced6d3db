using Microsoft.Extensions.Logging;

namespace AeOnnx.ML.Extensions;

/// <summary>
/// AeOnnx settings as an application's configuration holds them (the <c>"AeOnnx"</c> section of
/// <c>appsettings.json</c>, environment variables <c>AeOnnx__Device</c>, …), bound by
/// <see cref="AeOnnxServiceCollectionExtensions.AddAeOnnx(Microsoft.Extensions.DependencyInjection.IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>
/// and read through <c>IOptions&lt;AeOnnxOptions&gt;</c>. Every model the application loads through DI
/// (<see cref="AeOnnxModels"/>, <see cref="PredictionEnginePool{TData, TPrediction}"/>) is loaded with these
/// settings and logs through the application's <c>ILoggerFactory</c>.
/// </summary>
public sealed class AeOnnxOptions
{
    /// <summary>The configuration section <c>AddAeOnnx(configuration)</c> reads when given the root: <c>"AeOnnx"</c>.</summary>
    public const string SectionName = "AeOnnx";

    /// <summary>
    /// <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. Null (default): models named in
    /// <see cref="Models"/> use <c>auto</c>, saved pipelines the device they were saved with.
    /// </summary>
    public string? Device { get; set; }

    /// <summary>Images per ONNX Runtime call for <see cref="AeOnnxModels"/> (default 64).</summary>
    public int BatchSize { get; set; } = RunLimits.DefaultBatchSize;

    /// <summary>
    /// ONNX Runtime intra-op threads per model. 0, the default: ONNX Runtime's choice for the named models of
    /// <see cref="AeOnnxModels"/>, and one thread for the AeOnnx stages of pool pipelines, as every AeOnnx.ML
    /// stage runs (<see cref="AutoencoderColumnOptions.ModelOptions"/>).
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Whether idle ONNX Runtime threads spin (default false).</summary>
    public bool IntraOpSpinning { get; set; }

    /// <summary>A folder where optimized graphs are cached between runs (null, the default: none).</summary>
    public string? OptimizedModelCacheDirectory { get; set; }

    /// <summary>
    /// How often a watched model (<see cref="AeOnnxModelOptions.WatchForChanges"/>, or a pool model
    /// registered with <c>watchForChanges</c>) is looked at; a change is tried once two consecutive
    /// looks agree (default 2 s).
    /// </summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Named model folders (or pointer files naming one), served by <see cref="AeOnnxModels"/>.</summary>
    public IDictionary<string, AeOnnxModelOptions> Models { get; } = new Dictionary<string, AeOnnxModelOptions>(StringComparer.Ordinal);

    /// <summary>The core's load options these settings stand for, logging to <paramref name="logger"/>.</summary>
    internal AutoencoderOptions ToAutoencoderOptions(ILogger logger) => new()
    {
        Device = Device is null ? AeOnnx.Device.Auto : AeOnnx.Device.Parse(Device),
        BatchSize = BatchSize,
        IntraOpThreads = IntraOpThreads,
        IntraOpSpinning = IntraOpSpinning,
        OptimizedModelCacheDirectory = OptimizedModelCacheDirectory,
        Logger = logger,
    };

    /// <summary>What is wrong with these settings, one line per fault; empty when they are usable.</summary>
    internal IEnumerable<string> Faults()
    {
        if (Device is not null && !AeOnnx.Device.TryParse(Device, out _))
        {
            yield return $"AeOnnx:Device is \"{Device}\"; expected auto, cpu, cuda or cuda:N.";
        }

        if (BatchSize < 1 || BatchSize > RunLimits.MaxBatchValues)
        {
            yield return $"AeOnnx:BatchSize is {BatchSize}; expected a positive number.";
        }

        if (IntraOpThreads < 0 || IntraOpThreads > RunLimits.MaxWorkers)
        {
            yield return $"AeOnnx:IntraOpThreads is {IntraOpThreads}; expected 0 (ONNX Runtime's choice) to {RunLimits.MaxWorkers}.";
        }

        if (WatchInterval <= TimeSpan.Zero)
        {
            yield return $"AeOnnx:WatchInterval is {WatchInterval}; expected a positive time span.";
        }

        foreach (var (name, model) in Models)
        {
            if (string.IsNullOrWhiteSpace(model.Path))
            {
                yield return $"AeOnnx:Models:{name}:Path is empty; expected a model folder or a pointer file naming one.";
            }
        }
    }
}
