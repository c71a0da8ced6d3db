namespace AeOnnx.Hosting;

/// <summary>
/// Orders reloads that may overlap (a watch tick, an explicit reload) without holding a lock while
/// anything is read or loaded: each reload takes a ticket before it loads, and only the swap itself
/// runs under the lock. A reload that finishes after a later one has swapped is dropped, never swapped
/// over it, so the newest request wins whatever the loading times. Used by the service's
/// <c>ModelService</c> and ML.NET's <c>AutoencoderModelBinding</c>.
/// </summary>
internal sealed class SwapOrder
{
    private readonly Lock _lock = new();
    private long _issued;
    private long _swapped;

    /// <summary>Takes the ticket of a reload about to load; call before reading anything.</summary>
    public long Begin() => Interlocked.Increment(ref _issued);

    /// <summary>Runs <paramref name="swap"/> under the lock unless a later ticket has already swapped.</summary>
    /// <returns>False when superseded: nothing was swapped, and the caller disposes what it loaded.</returns>
    public bool TryComplete(long ticket, Action swap)
    {
        lock (_lock)
        {
            if (ticket < _swapped)
            {
                return false;
            }

            swap();
            _swapped = ticket;
            return true;
        }
    }
}
