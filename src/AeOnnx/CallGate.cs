namespace AeOnnx;

/// <summary>
/// Disposal by counting calls: every call registers before it touches a native session, so disposing
/// defers the release until the last running call leaves, and later calls throw
/// <see cref="ObjectDisposedException"/>. Thread-safe.
/// </summary>
internal sealed class CallGate(object owner, Action release)
{
    private int _activeCalls;
    private int _disposed;
    private int _released;

    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, owner);

    /// <summary>Registers a call; re-checking after registering closes the race with <see cref="Dispose"/>.</summary>
    public void Enter()
    {
        ThrowIfDisposed();
        Interlocked.Increment(ref _activeCalls);
        if (Volatile.Read(ref _disposed) == 1)
        {
            Exit();
            ThrowIfDisposed();
        }
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _activeCalls) == 0 && Volatile.Read(ref _disposed) == 1)
        {
            Release();
        }
    }

    /// <summary>Refuses new calls; releases now when no call is running, else when the last one exits.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (Volatile.Read(ref _activeCalls) == 0)
        {
            Release();
        }
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            release();
        }
    }
}
