namespace AeOnnx.Runtime;

/// <summary>How many model runs go at once on CPU: runs × intra-op threads = the processor count.</summary>
internal static class RunWorkers
{
    /// <summary>
    /// The intra-op threads that throughput jobs (folder encoding, the server's batches, ML.NET stages over
    /// a data view) load CPU sessions with: one. For small models each operator is too small to pay for
    /// the threads' hand-offs, so one single-threaded run per core at once beats one run split across
    /// the cores (bench/RESULTS.md, "Against the stage limits": 1.9x on the Fashion-MNIST encoder).
    /// </summary>
    public const int ThroughputIntraOpThreads = 1;

    /// <param name="intraOpThreads">The sessions' intra-op threads; 0 is ONNX Runtime's default, every core.</param>
    /// <returns>1 to <see cref="RunLimits.MaxWorkers"/>.</returns>
    public static int PerCore(int intraOpThreads)
    {
        var cores = Environment.ProcessorCount;
        var intraOp = intraOpThreads > 0 ? intraOpThreads : cores;
        return Math.Clamp(cores / intraOp, 1, RunLimits.MaxWorkers);
    }

    /// <summary>
    /// <paramref name="workers"/> runs of <paramref name="batchSize"/> items of <paramref name="perItem"/> floats
    /// each, fewer where together they would hold more than <see cref="RunLimits.MaxBatchValues"/> (at least one):
    /// batches in flight at once share the batch budget.
    /// </summary>
    public static int WithinBudget(int workers, int batchSize, long perItem) =>
        (int)Math.Clamp(RunLimits.MaxBatchValues / (batchSize * perItem), 1, workers);

    /// <summary>Runs of <paramref name="model"/> that go at once: <see cref="PerCore"/> of its intra-op threads on CPU, one on a GPU.</summary>
    public static int For(Autoencoder model) =>
        model.Device.Kind == DeviceKind.Cpu ? PerCore(model.IntraOpThreads) : 1;
}
