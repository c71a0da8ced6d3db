using System.Collections.Concurrent;

namespace AeOnnx.ML.Internal;

/// <summary>
/// One loaded <see cref="Autoencoder"/> per (folder, device, batch size, options object) for the
/// process: ML.NET transformers are not disposable and a loaded pipeline's mappings cannot be reached
/// by the user, so the sessions live here until <see cref="Clear"/>. The cache only loads; which
/// model a transformer may use is decided by <see cref="ModelBinding"/> on every new instance.
/// </summary>
internal static class ModelCache
{
    private static readonly ConcurrentDictionary<Key, Lazy<Autoencoder>> Models = new();

    /// <summary>The options object is part of the key by reference: estimators given the same <see cref="AutoencoderOptions"/> share sessions.</summary>
    private sealed record Key(string Folder, string Device, int Batch, AutoencoderOptions? Options);

    public static Autoencoder Get(string folder, Device device, int batchSize, AutoencoderOptions? options = null)
    {
        var key = new Key(Path.GetFullPath(folder), device.ToString(), batchSize, options);
        var lazy = Models.GetOrAdd(key, k => new Lazy<Autoencoder>(
            () => Autoencoder.Load(k.Folder, LoadOptions(options, device, batchSize)),
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

    /// <summary>A copy of the user's options with the mapping's device and batch size (the user's object is never changed).</summary>
    public static AutoencoderOptions LoadOptions(AutoencoderOptions? options, Device device, int batchSize)
    {
        var o = options ?? new AutoencoderOptions();
        var copy = new AutoencoderOptions
        {
            Device = device,
            BatchSize = batchSize,
            IntraOpThreads = o.IntraOpThreads,
            IntraOpSpinning = o.IntraOpSpinning,
            OptimizationLevel = o.OptimizationLevel,
            OptimizedModelCacheDirectory = o.OptimizedModelCacheDirectory,
            ImageLimits = o.ImageLimits,
            Logger = o.Logger,
        };
        foreach (var (key, value) in o.CudaProviderOptions)
        {
            copy.CudaProviderOptions[key] = value;
        }

        return copy;
    }

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
