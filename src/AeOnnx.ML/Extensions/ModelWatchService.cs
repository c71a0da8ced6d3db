using Microsoft.Extensions.Hosting;

namespace AeOnnx.ML.Extensions;

/// <summary>
/// The hosted part of <c>AddAeOnnx</c>: at start, loads every registered model (configured models and
/// pool models) and starts the watches of those registered with watching on; at stop, ends the watches
/// (waiting for a swap already running). Without a host nothing is watched and models load on first use.
/// </summary>
internal sealed class ModelWatchService(IEnumerable<IModelWatchSource> sources) : IHostedService
{
    private readonly List<IDisposable> _watches = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var source in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            source.Load();
        }

        foreach (var source in sources)
        {
            _watches.AddRange(source.StartWatches());
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var watch in _watches)
        {
            watch.Dispose();
        }

        _watches.Clear();
        return Task.CompletedTask;
    }
}
