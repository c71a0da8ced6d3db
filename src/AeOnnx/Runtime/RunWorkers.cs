namespace AeOnnx.Runtime;

/// <summary>How many model runs go at once on CPU: runs × intra-op threads = the processor count.</summary>
internal static class RunWorkers
{
    /// <summary>Most runs at once, whatever the cores.</summary>
    public const int Max = 256;

    /// <param name="intraOpThreads">The sessions' intra-op threads; 0 is ONNX Runtime's default, every core.</param>
    /// <returns>1 to <see cref="Max"/>.</returns>
    public static int PerCore(int intraOpThreads)
    {
        var cores = Environment.ProcessorCount;
        var intraOp = intraOpThreads > 0 ? intraOpThreads : cores;
        return Math.Clamp(cores / intraOp, 1, Max);
    }
}
