namespace AeOnnx.Hosting;

/// <summary>
/// The one model watcher: polls a <see cref="ModelLocation"/> (a folder, or a pointer file naming one)
/// and asks for a reload when what it names has changed and settled, that is, when two consecutive
/// looks see the same new state. A pointer caught half-written (truncated, then written:
/// <c>echo dir &gt; current.txt</c>) or a folder still being copied is never tried, so it never
/// produces a refusal of a state nobody meant. Polling, not file-system events: it also sees folders
/// replaced by rename, pointer files rewritten, and Kubernetes ConfigMap/volume symlink swaps, which
/// inotify misses or reports out of order. Used by the service's <c>--watch</c> and by ML.NET's
/// <c>AutoencoderModelBinding.WatchFolder</c>.
/// </summary>
/// <remarks>
/// No lock is held here: a look reads the location (pointers through the regular-file checks, so a
/// FIFO or a device cannot block it), and the reload is the owner's, who must not hold a lock across
/// loading either (<see cref="SwapOrder"/>). One poller at a time: <see cref="PollAsync"/> is called
/// by the loop of <see cref="RunAsync"/> or <see cref="Start"/>, or by a test driving it directly.
/// </remarks>
internal sealed class ModelWatch
{
    private readonly Func<string, CancellationToken, Task> _reload;
    private readonly Func<string> _fingerprint;
    private string _accepted;
    private string? _pending;

    /// <param name="location">What is watched.</param>
    /// <param name="reload">Loads what the location names now; called with the settled fingerprint.</param>
    /// <param name="accepted">Fingerprint of the state already served; null: the state now.</param>
    public ModelWatch(ModelLocation location, Func<string, CancellationToken, Task> reload, string? accepted = null)
        : this(location, location.Fingerprint, reload, accepted)
    {
    }

    /// <summary>A watch of something other than a model folder (a saved ML.NET pipeline file), with its own fingerprint.</summary>
    /// <param name="location">What is watched (its <see cref="ModelLocation.Path"/>).</param>
    /// <param name="fingerprint">A cheap summary of the watched state that never throws (<see cref="ModelLocation.FileFingerprint"/>).</param>
    /// <param name="reload">Loads the state now; called with the settled fingerprint.</param>
    /// <param name="accepted">Fingerprint of the state already served; null: the state now.</param>
    public ModelWatch(ModelLocation location, Func<string> fingerprint, Func<string, CancellationToken, Task> reload, string? accepted = null)
    {
        Location = location;
        _fingerprint = fingerprint;
        _reload = reload;
        _accepted = accepted ?? fingerprint();
    }

    public ModelLocation Location { get; }

    /// <summary>
    /// Records <paramref name="fingerprint"/> as the state served (or being tried), so the watch does not
    /// try it again: the owner calls it for a reload it started itself (the service's admin endpoint).
    /// </summary>
    public void Accept(string fingerprint) => Volatile.Write(ref _accepted, fingerprint);

    /// <summary>One look: reloads when the location changed and this look agrees with the previous one.</summary>
    /// <returns>True when a reload was tried on this look.</returns>
    public async Task<bool> PollAsync(CancellationToken cancellationToken)
    {
        var fingerprint = _fingerprint();
        if (fingerprint == Volatile.Read(ref _accepted))
        {
            _pending = null;
            return false;
        }

        if (fingerprint != _pending)
        {
            _pending = fingerprint;
            return false;
        }

        _pending = null;
        Accept(fingerprint);
        await _reload(fingerprint, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Looks every <paramref name="interval"/> until cancelled (then throws <see cref="OperationCanceledException"/>).</summary>
    /// <param name="interval">Time between looks.</param>
    /// <param name="failed">Told about a look that threw: the watch outlives any one bad state.</param>
    /// <param name="cancellationToken">Stops the watch.</param>
    public async Task RunAsync(TimeSpan interval, Action<Exception> failed, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await PollAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed(e);
            }
        }
    }

    /// <summary>Runs <see cref="RunAsync"/> in the background until the returned handle is disposed.</summary>
    /// <returns>Dispose it to stop watching; disposal waits for a reload already running.</returns>
    public IDisposable Start(TimeSpan interval, Action<Exception> failed)
    {
        var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            try
            {
                await RunAsync(interval, failed, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        });
        return new Running(stop, loop);
    }

    private sealed class Running(CancellationTokenSource stop, Task loop) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            stop.Cancel();
            loop.GetAwaiter().GetResult();
            stop.Dispose();
        }
    }
}
