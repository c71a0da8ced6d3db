namespace AeOnnx.Runtime;

/// <summary>How many model runs go at once on CPU: runs × intra-op threads = the processor count.</summary>
internal static class RunWorkers
{
    /// <param name="intraOpThreads">The sessions' intra-op threads; 0 is ONNX Runtime's default, every core.</param>
    /// <returns>1 to <see cref="RunLimits.MaxWorkers"/>.</returns>
    public static int PerCore(int intraOpThreads)
    {
        var cores = Environment.ProcessorCount;
        var intraOp = intraOpThreads > 0 ? intraOpThreads : cores;
        return Math.Clamp(cores / intraOp, 1, RunLimits.MaxWorkers);
    }
}
