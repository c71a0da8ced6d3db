using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// Readiness as an ASP.NET Core health check (<c>/readyz</c>): healthy once the served model has answered its
/// probe request through the whole HTTP path (<see cref="ModelService.IsReady"/>) and while the server is not stopping.
/// </summary>
internal sealed class ModelReadyCheck(ModelService models, IHostApplicationLifetime lifetime) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The server is shutting down."));
        }

        if (!models.IsReady)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Not ready: the model has not yet answered its probe request."));
        }

        var current = models.Current;
        return Task.FromResult(HealthCheckResult.Healthy($"{current.Name} generation {current.Generation}"));
    }
}
