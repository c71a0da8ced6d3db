namespace AeOnnx.ML.Internal;

/// <summary>
/// Watches a model folder and, once it has been quiet for a while after a change (a retrained
/// export writes several files), asks the binding to swap it in. The binding checks and reports;
/// a folder caught half-written is refused and retried on its next change.
/// </summary>
internal sealed class FolderWatch : IDisposable
{
    private readonly AutoencoderModelBinding _binding;
    private readonly string _folder;
    private readonly TimeSpan _quiet;
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _timer;

    public FolderWatch(AutoencoderModelBinding binding, string folder, TimeSpan quiet)
    {
        _binding = binding;
        _folder = Path.GetFullPath(folder);
        _quiet = quiet;
        _timer = new Timer(_ => Swap(), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(_folder)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
            IncludeSubdirectories = false,
        };
        _watcher.Changed += Touched;
        _watcher.Created += Touched;
        _watcher.Deleted += Touched;
        _watcher.Renamed += Touched;
        _watcher.EnableRaisingEvents = true;
    }

    private int _disposed;

    private void Swap()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            _binding.TrySwap(_folder);
        }
        catch (ObjectDisposedException)
        {
            // The host was disposed before the watch: nothing left to swap into. A timer thread
            // must not throw (it would end the process).
        }
    }

    private void Touched(object sender, FileSystemEventArgs e)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _timer.Change(_quiet, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // An event raced with Dispose.
            }
        }
    }

    /// <summary>Stops watching and waits for a swap already running.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _watcher.Dispose();
        using var done = new ManualResetEvent(false);
        if (_timer.Dispose(done))
        {
            done.WaitOne();
        }
    }
}
