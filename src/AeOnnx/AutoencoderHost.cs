namespace AeOnnx;

/// <summary>
/// Holds the current <see cref="Autoencoder"/> and swaps in a retrained model folder atomically
/// while calls are in flight. Callers take a lease (<see cref="Acquire"/>, or <see cref="Run{T}"/>);
/// a lease pins the model it was taken on, so in-flight calls finish on the old model while new
/// leases get the new one, and the old model is disposed when its last lease is released.
/// Thread-safe. Dispose the host to release the current model (after its leases end).
/// </summary>
public sealed class AutoencoderHost : IDisposable
{
    private readonly Lock _swapLock = new();
    private readonly AutoencoderOptions? _options;
    private readonly AutoencoderOptions _firstOptions;
    private AutoencoderLease.Entry _current;
    private int _disposed;

    /// <summary>Creates a host that owns <paramref name="initial"/>.</summary>
    /// <param name="initial">The first model; the host disposes it when it is swapped out or the host is disposed.</param>
    /// <param name="swapOptions">Options <see cref="Swap(string)"/> loads folders with; null: the options <paramref name="initial"/> was loaded with.</param>
    public AutoencoderHost(Autoencoder initial, AutoencoderOptions? swapOptions = null)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = new AutoencoderLease.Entry(initial);
        _options = swapOptions;
        _firstOptions = initial.Options;
    }

    /// <summary>Loads a model folder and hosts it.</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="options">Load options; also used by <see cref="Swap(string)"/>.</param>
    /// <returns>The host.</returns>
    /// <exception cref="ModelLoadException">The folder cannot be loaded.</exception>
    public static AutoencoderHost Load(string folder, AutoencoderOptions? options = null)
    {
        return new AutoencoderHost(Autoencoder.Load(folder, options), options);
    }

    /// <summary>The options <see cref="Swap(string)"/> loads folders with: those given to the host, else those its first model was loaded with.</summary>
    internal AutoencoderOptions SwapOptions => _options ?? _firstOptions;

    /// <summary>The model new leases get right now (for inspection; take a lease to use it).</summary>
    public Autoencoder Current => Volatile.Read(ref _current).Model;

    /// <summary>Number of swaps done so far.</summary>
    public int Generation { get; private set; }

    /// <summary>Takes a lease on the current model; dispose the lease when done (use <c>using</c>).</summary>
    /// <returns>The lease; its <see cref="AutoencoderLease.Model"/> stays usable until the lease is disposed.</returns>
    /// <exception cref="ObjectDisposedException">The host is disposed.</exception>
    public AutoencoderLease Acquire()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
            var entry = Volatile.Read(ref _current);
            if (entry.TryAddRef())
            {
                return new AutoencoderLease(entry);
            }

            // The entry was swapped out and released between the read and the add-ref: retry
            // on the new current one.
        }
    }

    /// <summary>Runs <paramref name="call"/> on the current model under a lease.</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="call">The work; must not keep the model beyond its return.</param>
    /// <returns>What <paramref name="call"/> returns.</returns>
    public T Run<T>(Func<Autoencoder, T> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        using var lease = Acquire();
        return call(lease.Model);
    }

    /// <summary>Runs asynchronous <paramref name="call"/> on the current model under a lease held until it completes.</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="call">The work; must not keep the model beyond its completion.</param>
    /// <returns>What <paramref name="call"/> returns.</returns>
    public async Task<T> RunAsync<T>(Func<Autoencoder, Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        using var lease = Acquire();
        return await call(lease.Model).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads <paramref name="folder"/> (with the options given to <see cref="Load"/> or the constructor) and swaps it in.
    /// If loading fails, the current model stays and the exception propagates.
    /// </summary>
    /// <param name="folder">The retrained model folder.</param>
    /// <exception cref="ModelLoadException">The folder cannot be loaded; nothing was swapped.</exception>
    public void Swap(string folder) => Swap(Autoencoder.Load(folder, SwapOptions));

    /// <summary>
    /// Swaps in <paramref name="replacement"/>: new leases get it at once; the previous model is
    /// disposed when its last lease is released. The host takes ownership of the replacement.
    /// </summary>
    /// <param name="replacement">The new model.</param>
    public void Swap(Autoencoder replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        AutoencoderLease.Entry previous;
        lock (_swapLock)
        {
            if (Volatile.Read(ref _disposed) == 1)
            {
                replacement.Dispose();
                throw new ObjectDisposedException(nameof(AutoencoderHost));
            }

            previous = Interlocked.Exchange(ref _current, new AutoencoderLease.Entry(replacement));
            Generation++;
        }

        // Drop the host's own reference; the model goes when the last in-flight lease does.
        previous.Release();
    }

    /// <summary>Stops new leases and releases the current model once its leases end.</summary>
    public void Dispose()
    {
        lock (_swapLock)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }
        }

        Volatile.Read(ref _current).Release();
    }
}
