namespace AeOnnx.ML.Internal;

/// <summary>Where a mapping gets its model: the process cache of a folder, or an <see cref="AutoencoderHost"/> (hot swap).</summary>
internal abstract class ModelSource
{
    /// <summary>The folder described in messages.</summary>
    public abstract string Folder { get; }

    /// <summary>The model for one call; dispose the lease when the call is done (a hosted model stays alive until then).</summary>
    public abstract AutoencoderLeaseOrShared Acquire();

    /// <summary>The model folder through <see cref="ModelCache"/>.</summary>
    internal sealed class Cached(string folder, Device device, int batchSize, AutoencoderOptions? options) : ModelSource
    {
        public override string Folder { get; } = Path.GetFullPath(folder);

        public Device Device { get; } = device;

        public AutoencoderOptions? Options { get; } = options;

        public override AutoencoderLeaseOrShared Acquire() => new(ModelCache.Get(Folder, Device, batchSize, Options), null);
    }

    /// <summary>The current model of a host; each call holds a lease, so a swap never disposes a model under it.</summary>
    internal sealed class Hosted(AutoencoderHost host) : ModelSource
    {
        public AutoencoderHost Host { get; } = host;

        public override string Folder => Host.Current.Folder;

        public override AutoencoderLeaseOrShared Acquire()
        {
            var lease = Host.Acquire();
            return new(lease.Model, lease);
        }
    }
}

/// <summary>A model for the duration of one call, with the host lease that keeps it alive (null for cached models).</summary>
internal readonly record struct AutoencoderLeaseOrShared(Autoencoder Model, IDisposable? Lease) : IDisposable
{
    public void Dispose() => Lease?.Dispose();
}
