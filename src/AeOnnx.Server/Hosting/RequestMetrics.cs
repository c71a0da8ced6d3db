using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// Counts every answer of the service's own routes (the API and health) by route and status, and
/// observes its latency. Outermost, so it sees the final status, refusals and timeouts included. A
/// scanner's 404s, the OpenAPI document, the explorer's files, the scrape itself and the server's own
/// model probes add no series.
/// </summary>
internal sealed class RequestMetrics(RequestDelegate next, ServerMetrics metrics, ModelService models)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // The route is read before the request runs: the exception handler clears the endpoint.
        if ((context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is not { } route || !IsCounted(route) || models.IsProbe(context))
        {
            await next(context);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            metrics.Requests.WithLabels(route, context.Response.StatusCode.ToString(CultureInfo.InvariantCulture)).Inc();
            metrics.Latency.WithLabels(route).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static bool IsCounted(string route) =>
        route.StartsWith("/v1/", StringComparison.Ordinal) || route is "/healthz" or "/readyz";
}
