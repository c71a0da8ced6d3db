using System.Collections.Concurrent;

namespace AeOnnx.ML.Internal;

/// <summary>
/// One loaded <see cref="Autoencoder"/> per (folder, device, batch size) for the process: ML.NET
/// transformers are not disposable and a loaded pipeline's mappings cannot be reached by the user,
/// so the sessions live here until <see cref="Clear"/>.
/// </summary>
internal static class ModelCache
{
    private static readonly ConcurrentDictionary<(string Folder, string Device, int Batch), Lazy<Autoencoder>> Models = new();

    public static Autoencoder Get(string folder, Device device, int batchSize)
    {
        var full = Path.GetFullPath(folder);
        var key = (full, device.ToString(), batchSize);
        var lazy = Models.GetOrAdd(key, k => new Lazy<Autoencoder>(
            () => Autoencoder.Load(k.Folder, new AutoencoderOptions { Device = device, BatchSize = batchSize }),
            LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Models.TryRemove(new KeyValuePair<(string, string, int), Lazy<Autoencoder>>(key, lazy));
            throw;
        }
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
    public static string Identity(Autoencoder model) => model.Model.GraphIdentity;
}
