using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// The API's two request limits, on the framework's own middleware: at most
/// <see cref="ServerOptions.MaxConcurrentRequests"/> at once (the rate limiter's concurrency limiter,
/// no queue: the next one is answered 429 at once) and <see cref="ServerOptions.RequestTimeout"/> each
/// (the request-timeouts middleware: the work is cancelled, the answer is 503). The server's own probe
/// of a candidate model is exempt from both: clients filling the limit must not fail a model swap, and
/// the prober enforces its own, longer limit (<see cref="ModelProbe.Timeout"/>).
/// </summary>
internal static class RequestLimits
{
    private const string Api = "api";

    public static IServiceCollection AddRequestLimits(this IServiceCollection services, ServerOptions options)
    {
        services.AddRequestTimeouts();
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsApi(context) && !context.RequestServices.GetRequiredService<ModelService>().IsProbe(context)
                    ? RateLimitPartition.GetConcurrencyLimiter(Api, _ => new ConcurrencyLimiterOptions { PermitLimit = options.MaxConcurrentRequests, QueueLimit = 0 })
                    : RateLimitPartition.GetNoLimiter(string.Empty));
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (rejected, _) => new ValueTask(ProblemAnswers.WriteAsync(
                rejected.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests", $"The server is handling its limit of {options.MaxConcurrentRequests} requests; retry later."));
        });
        return services;
    }

    /// <summary>The limits in the pipeline; after routing (the endpoint's timeout policy is read from it).</summary>
    public static void UseRequestLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        app.UseRequestTimeouts();
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpRequestTimeoutFeature>() is { } timeout && context.RequestServices.GetRequiredService<ModelService>().IsProbe(context))
            {
                timeout.DisableTimeout();
            }

            return next(context);
        });
    }

    /// <summary>
    /// Puts the API's endpoints under the time limit. Their work runs under it (handlers pass
    /// <c>HttpContext.RequestAborted</c> on); the answer of work that finished in time is written whole,
    /// not cut off mid-body when the limit passes during the write (clients saw a reset connection).
    /// </summary>
    public static RouteGroupBuilder WithRequestLimits(this RouteGroupBuilder api, ServerOptions options)
    {
        var seconds = options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        api.WithRequestTimeout(new RequestTimeoutPolicy
        {
            Timeout = options.RequestTimeout,
            TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
            WriteTimeoutResponse = context => ProblemAnswers.WriteAsync(
                context, StatusCodes.Status503ServiceUnavailable, "Service unavailable", $"The request did not finish within {seconds} s; its queued work was dropped. Retry later."),
        });
        api.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            try
            {
                var result = await next(invocation);
                context.Features.Get<IHttpRequestTimeoutFeature>()?.DisableTimeout();
                return result;
            }
            catch (ApiException refusal)
            {
                // Answered here rather than by the exception handler, which clears the response: the
                // served-model headers say which model refused.
                await ProblemAnswers.WriteAsync(context, refusal.Status, refusal.Title, refusal.Message);
                return Results.Empty;
            }
        });
        return api;
    }

    private static bool IsApi(HttpContext context) => context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal);
}
