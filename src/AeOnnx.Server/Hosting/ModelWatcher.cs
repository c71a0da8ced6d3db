using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// Polls the model source (<c>--watch</c>) and reloads when it changed. Polling, not inotify: it
/// also sees folders replaced by rename, pointer files rewritten, and Kubernetes ConfigMap/volume
/// symlink swaps, which file-system events miss or report out of order.
/// </summary>
internal sealed class ModelWatcher(ModelService models, ServerOptions options, ILogger<ModelWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("watching {Source} every {Interval} ms", models.Source.Path, options.WatchInterval.TotalMilliseconds);
        using var timer = new PeriodicTimer(options.WatchInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await models.ReloadIfChangedAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The watcher must outlive any one bad folder; the refusal itself is recorded by ModelService.
                logger.LogWarning(e, "model watch tick failed");
            }
        }
    }
}
