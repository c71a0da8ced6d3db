namespace AeOnnx.Pipeline;

/// <summary>
/// Options for the folder pipeline (<see cref="AutoencoderBatchExtensions.EncodeFilesAsync"/>,
/// <see cref="AutoencoderBatchExtensions.ReconstructFilesAsync"/>). Memory stays bounded by about
/// <see cref="MaxPendingImages"/> decoded images + (<see cref="InferenceWorkers"/> + 4) batches
/// (being built, waiting for a worker, running, being emitted, results), whatever the number of files.
/// </summary>
public sealed class PipelineOptions
{
    /// <summary>
    /// Images decoded in parallel, 1 to <see cref="RunLimits.MaxWorkers"/> (256). Default: the processor count. Decoding overlaps with
    /// inference, whose ONNX Runtime threads (<see cref="AutoencoderOptions.IntraOpThreads"/>) do not
    /// spin-wait unless <see cref="AutoencoderOptions.IntraOpSpinning"/> is set, so both can use every
    /// core: whichever stage is the bottleneck (decoding for photos, the model for small PNGs) gets them.
    /// </summary>
    public int DecodeWorkers { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Images per inference call; 0 (default) uses the model's <see cref="AutoencoderOptions.BatchSize"/>.
    /// Batch × C×H×W may not exceed <see cref="RunLimits.MaxBatchValues"/> (2²⁸ floats); a larger batch is refused with
    /// <see cref="ArgumentOutOfRangeException"/> before any work.
    /// </summary>
    public int BatchSize { get; set; }

    /// <summary>Decoded or decoding images allowed to wait for the batcher; 0 (default) means two batches.</summary>
    public int MaxPendingImages { get; set; }

    /// <summary>
    /// Batches run through the model at the same time, 1 to <see cref="RunLimits.MaxWorkers"/> (256); 0 (default) sizes them with the
    /// model's ONNX Runtime threads so that workers × intra-op threads = the processor count on CPU
    /// (one worker on a GPU). For small models, one intra-op thread per batch and one batch per core
    /// (<see cref="AutoencoderOptions.IntraOpThreads"/> = 1) beats splitting every batch across cores:
    /// each operator is too small to pay for the threads' hand-offs. Results stay in input order.
    /// Running batches share the batch budget (<see cref="RunLimits.MaxBatchValues"/>): workers × batch × C×H×W above it runs
    /// fewer workers.
    /// </summary>
    public int InferenceWorkers { get; set; }
}
