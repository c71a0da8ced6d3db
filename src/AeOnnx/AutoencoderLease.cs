namespace AeOnnx;

/// <summary>
/// A reference to the model an <see cref="AutoencoderHost"/> held when the lease was taken. The
/// model stays alive until every lease on it is disposed, even if the host swapped it out.
/// Dispose exactly once (use <c>using</c>).
/// </summary>
public sealed class AutoencoderLease : IDisposable
{
    private Entry? _entry;

    internal AutoencoderLease(Entry entry)
    {
        _entry = entry;
        Model = entry.Model;
    }

    /// <summary>The leased model; do not use it after disposing the lease.</summary>
    public Autoencoder Model { get; }

    /// <summary>Releases the lease; the last lease on a swapped-out model disposes it.</summary>
    public void Dispose() => Interlocked.Exchange(ref _entry, null)?.Release();

    /// <summary>A hosted model with a reference count: one for the host while current, one per lease.</summary>
    internal sealed class Entry(Autoencoder model)
    {
        private int _references = 1;

        public Autoencoder Model { get; } = model;

        /// <summary>Adds a reference unless the count already reached zero (the model is being disposed).</summary>
        public bool TryAddRef()
        {
            var count = Volatile.Read(ref _references);
            while (count > 0)
            {
                var seen = Interlocked.CompareExchange(ref _references, count + 1, count);
                if (seen == count)
                {
                    return true;
                }

                count = seen;
            }

            return false;
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0)
            {
                Model.Dispose();
            }
        }
    }
}
