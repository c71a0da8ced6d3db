using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// Runs the model's watch (<c>--watch</c>) for the life of the service: the core's
/// <see cref="AeOnnx.Hosting.ModelWatch"/> over the model source, every <see cref="ServerOptions.WatchInterval"/>.
/// </summary>
internal sealed class ModelWatcher(ModelService models, ServerOptions options, ILogger<ModelWatcher> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("watching {Source} every {Interval} ms", models.Source.Path, options.WatchInterval.TotalMilliseconds);

        // The watch outlives any one bad folder; the refusal itself is recorded by ModelService.
        return models.Watch.RunAsync(options.WatchInterval, e => logger.LogWarning(e, "model watch tick failed"), stoppingToken);
    }
}
