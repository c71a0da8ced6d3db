using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// The model options of a verb as given (<c>--model</c>, <c>--device</c>, <c>--batch-size</c>,
/// <c>--threads</c>, <c>--quiet</c>; bound by <see cref="Commands.CommonOptions"/>) and what they mean
/// for a job: the model loaded with them, and the file pipeline's workers and batch.
/// </summary>
internal sealed record ModelSettings(string? Model, string Device, int BatchSize, int Threads, bool Quiet)
{
    /// <summary>
    /// Loads the model. Any refusal (missing folder, bad manifest, checksum or shape mismatch, unavailable
    /// device) is fatal, and happens before any image is read.
    /// </summary>
    public Autoencoder Load(CliConsole console)
    {
        var folder = ModelLocator.Resolve(Model);
        var options = new AutoencoderOptions
        {
            Device = AeOnnx.Device.Parse(Device),
            // One ONNX Runtime thread per model run; folder jobs run one batch per thread at once
            // (PipelineOptions): for these small models that beats splitting each batch across cores.
            IntraOpThreads = AeOnnx.Runtime.RunWorkers.ThroughputIntraOpThreads,
            BatchSize = BatchSize,
            // With --device auto, falling back to the CPU (event ids 1 and 2) is the expected outcome, not news.
            Logger = Quiet
                ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance
                : new Output.StderrLogger(console.Error, e => !(Device == "auto" && e.Id is 1 or 2)),
        };
        try
        {
            return Autoencoder.Load(folder, options);
        }
        catch (Exception e) when (FailureTable.IsLoadRefusal(e))
        {
            throw CliException.FromModelLoad(e, folder, options.BatchSize);
        }
    }

    /// <summary>
    /// Options of the streaming file pipeline: decode workers and (on CPU) concurrent model runs from
    /// --threads, batch from --batch-size. On a GPU one run at a time.
    /// </summary>
    public PipelineOptions Pipeline(Autoencoder model)
    {
        var threads = Threads > 0 ? Threads : Environment.ProcessorCount;
        return new()
        {
            DecodeWorkers = threads,
            InferenceWorkers = model.Device.Kind == DeviceKind.Cpu ? threads : 1,
            BatchSize = BatchSize,
        };
    }
}
