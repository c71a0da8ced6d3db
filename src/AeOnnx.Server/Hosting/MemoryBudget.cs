namespace AeOnnx.Server.Hosting;

/// <summary>
/// A server-wide budget of bytes that requests reserve before they allocate (their body, or their
/// working memory) and release when they have answered. A reservation that does not fit waits, in
/// arrival order (a large request is not starved by small ones), until earlier ones are released or
/// the request is cancelled (its time limit); one larger than the whole budget is refused at once.
/// A request takes at most one reservation from each budget, and the working budget is never waited
/// on while holding a working reservation, so waits cannot form a cycle.
/// </summary>
internal sealed class MemoryBudget
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly Action<long>? _changed;
    private long _inUse;
    private long _peak;

    /// <param name="capacity">Bytes the budget holds.</param>
    /// <param name="what">What the budget holds, for messages ("working memory").</param>
    /// <param name="changed">Called with the bytes in use after every change (a metrics gauge).</param>
    public MemoryBudget(long capacity, string what, Action<long>? changed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        What = what;
        _changed = changed;
    }

    public long Capacity { get; }

    public string What { get; }

    public long InUse
    {
        get
        {
            lock (_lock)
            {
                return _inUse;
            }
        }
    }

    /// <summary>Reservations waiting for room.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>The most bytes in use at once since the last <see cref="TakePeak"/>.</summary>
    public long TakePeak()
    {
        lock (_lock)
        {
            var peak = _peak;
            _peak = _inUse;
            return peak;
        }
    }

    /// <summary>Reserves <paramref name="bytes"/>, waiting for room; dispose the result to release them.</summary>
    /// <exception cref="ApiException">413 when <paramref name="bytes"/> exceeds the whole budget.</exception>
    /// <exception cref="OperationCanceledException">The request was cancelled (or ran out of time) while waiting.</exception>
    public async ValueTask<IDisposable> ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        bytes = Math.Max(bytes, 0);
        if (bytes > Capacity)
        {
            throw ApiException.TooLarge(
                $"This request needs about {Mib(bytes)} MiB of {What}; the server's whole budget is {Mib(Capacity)} MiB. Send fewer or smaller images, or ask for a smaller answer.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && _inUse + bytes <= Capacity)
            {
                Take(bytes);
                return new Reservation(this, bytes);
            }

            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
        }

        using (cancellationToken.Register(static state => ((MemoryBudget)((object[])state!)[0]).Cancel((Waiter)((object[])state!)[1]), new object[] { this, waiter }))
        {
            try
            {
                await waiter.Granted.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }

        var reservation = new Reservation(this, bytes);
        if (cancellationToken.IsCancellationRequested)
        {
            // Granted as the request gave up: hand the bytes back at once.
            reservation.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
        }

        return reservation;
    }

    private static long Mib(long bytes) => (bytes + (1024 * 1024) - 1) / (1024 * 1024);

    private void Take(long bytes)
    {
        _inUse += bytes;
        _peak = Math.Max(_peak, _inUse);
        _changed?.Invoke(_inUse);
    }

    private void Cancel(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Node?.List is null)
            {
                return; // already granted
            }

            _waiters.Remove(waiter.Node);
            waiter.Node = null;
            GrantWaiting();
        }

        waiter.Granted.TrySetCanceled();
    }

    private void Release(long bytes)
    {
        lock (_lock)
        {
            _inUse -= bytes;
            _changed?.Invoke(_inUse);
            GrantWaiting();
        }
    }

    // Under the lock: grants waiters in order while the first one fits.
    private void GrantWaiting()
    {
        while (_waiters.First is { } first && _inUse + first.Value.Bytes <= Capacity)
        {
            _waiters.RemoveFirst();
            first.Value.Node = null;
            Take(first.Value.Bytes);
            first.Value.Granted.TrySetResult();
        }
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Reservation(MemoryBudget budget, long bytes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                budget.Release(bytes);
            }
        }
    }
}
