using System.Collections.Concurrent;
using AeOnnx.Runtime;

namespace AeOnnx.ML.Internal;

/// <summary>
/// One loaded <see cref="Autoencoder"/> per (folder, device, batch size, load settings) for the
/// process: ML.NET transformers are not disposable and a loaded pipeline's mappings cannot be reached
/// by the user, so the sessions live here until <see cref="Clear"/>. The cache only loads; which
/// model a transformer may use is decided by <see cref="ModelBinding"/> on every new instance.
/// </summary>
internal static class ModelCache
{
    private static readonly ConcurrentDictionary<Key, Lazy<Autoencoder>> Models = new();

    private sealed record Key(string Folder, string Device, int Batch, string Settings);

    public static Autoencoder Get(string folder, Device device, int batchSize, AutoencoderOptions? options = null)
    {
        var load = LoadOptions(options, device, batchSize);
        var key = new Key(Path.GetFullPath(folder), device.ToString(), batchSize, SettingsKey(load));
        var lazy = Models.GetOrAdd(key, k => new Lazy<Autoencoder>(
            () => Autoencoder.Load(k.Folder, load),
            LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Models.TryRemove(new KeyValuePair<Key, Lazy<Autoencoder>>(key, lazy));
            throw;
        }
    }

    /// <summary>
    /// The user's options with the mapping's device and batch size (the user's object is never changed).
    /// Intra-op threads left at 0 become <see cref="RunWorkers.ThroughputIntraOpThreads"/>: a data view's
    /// batches then run one per core at once, as the aeonnx tool's folder jobs do.
    /// </summary>
    public static AutoencoderOptions LoadOptions(AutoencoderOptions? options, Device device, int batchSize)
    {
        var load = (options ?? new AutoencoderOptions()) with { Device = device, BatchSize = batchSize };
        return load.IntraOpThreads > 0 ? load : load with { IntraOpThreads = RunWorkers.ThroughputIntraOpThreads };
    }

    /// <summary>
    /// The settings that make two loads of a folder interchangeable, by value: estimators given equal
    /// options share sessions whichever objects carry them. The logger is not among them (it only hears
    /// the load); a model is reported to the logger of the first estimator that loads it.
    /// </summary>
    private static string SettingsKey(AutoencoderOptions o) => string.Join(
        '|',
        o.IntraOpThreads,
        o.IntraOpSpinning,
        o.OptimizationLevel,
        o.OptimizedModelCacheDirectory,
        o.ImageLimits,
        string.Join(',', o.CudaProviderOptions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")));

    public static int Clear()
    {
        var n = 0;
        foreach (var key in Models.Keys.ToArray())
        {
            if (Models.TryRemove(key, out var lazy) && lazy.IsValueCreated)
            {
                lazy.Value.Dispose();
                n++;
            }
        }

        return n;
    }

    /// <summary>The identity recorded in saved pipelines: encoder and decoder SHA-256.</summary>
    public static string Identity(Autoencoder model) => model.Manifest.GraphIdentity;
}
