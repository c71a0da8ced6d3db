using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// Wraps every request: the concurrency limit and the per-request timeout for the API, metrics,
/// and the translation of every failure into an RFC 7807 problem document. Clients read the
/// reason; stack traces and server paths only go to the log.
/// </summary>
internal sealed class RequestGuard(RequestDelegate next, ServerOptions options, ServerMetrics metrics, ModelService models, ILogger<RequestGuard> logger)
{
    private readonly SemaphoreSlim _slots = new(options.MaxConcurrentRequests, options.MaxConcurrentRequests);

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var isApi = context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal);

        // The server's own probe of a candidate model must not be turned away by clients filling the
        // concurrency limit, and is no client traffic to count.
        var isProbe = isApi && models.IsProbe(context);
        var aborted = context.RequestAborted;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var holdsSlot = false;
        try
        {
            if (isApi)
            {
                if (!isProbe && !_slots.Wait(0))
                {
                    throw ApiException.TooManyRequests($"The server is handling its limit of {options.MaxConcurrentRequests} requests; retry later.");
                }

                holdsSlot = !isProbe;

                // A probe runs under its own, longer limit (ModelProbe.Timeout): the first request of a
                // cold process may take longer than a client's, and must not fail the model for it.
                timeout.CancelAfter(isProbe ? ModelProbe.Timeout : options.RequestTimeout);

                // The handlers' work runs under the deadline; the answer is written under the client's
                // own token only: a request whose work finished just as its time ran out is sent whole,
                // not cut off mid-body (which the client saw as a reset connection).
                context.Items[DeadlineKey] = timeout.Token;
            }

            await next(context);
            if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null or 0)
            {
                // Routing's bare 404/405 and the like get a problem body too.
                await WriteProblemAsync(context, context.Response.StatusCode, ReasonPhrase(context.Response.StatusCode), DefaultDetail(context));
            }
        }
        catch (ApiException e)
        {
            await DrainAsync(context, options);
            await WriteProblemAsync(context, e.Status, e.Title, e.Message);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            await DrainAsync(context, options);
            await WriteProblemAsync(context, 503, "Service unavailable", $"The request did not finish within {options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; its queued work was dropped. Retry later.");
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; nobody reads an answer. 499 is nginx's name for this in the metrics.
            context.Response.StatusCode = FailureTable.HttpStatus(FailureKind.Cancelled);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own refusals (body over MaxRequestBodySize: 413, malformed framing: 400).
            await WriteProblemAsync(context, e.StatusCode, ReasonPhrase(e.StatusCode), e.Message);
        }
        catch (Exception e)
        {
            logger.LogError(e, "unhandled error in {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteProblemAsync(context, FailureTable.HttpStatus(FailureKind.Internal), FailureTable.Title(FailureKind.Internal), $"The server failed to answer; the log has the details (trace id {Activity.Current?.Id ?? context.TraceIdentifier}).");
        }
        finally
        {
            if (holdsSlot)
            {
                _slots.Release();
            }

            // Labels are the service's own routes (the API and health): a scanner's 404s, the OpenAPI
            // document, the explorer's files and the scrape itself add no series.
            if (!isProbe && (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } endpoint && IsCounted(endpoint))
            {
                metrics.Requests.WithLabels(endpoint, context.Response.StatusCode.ToString(CultureInfo.InvariantCulture)).Inc();
                metrics.Latency.WithLabels(endpoint).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }
    }

    private static readonly object DeadlineKey = new();

    private static bool IsCounted(string route) =>
        route.StartsWith("/v1/", StringComparison.Ordinal) || route is "/healthz" or "/readyz";

    /// <summary>
    /// Reads (and discards) what is left of a refused request's body before answering, so a client
    /// still uploading gets the answer (429, 503, 415...) instead of a connection closed under it (a
    /// "broken pipe"). Bounded by the body limit and a time limit; costs no memory.
    /// </summary>
    private static async Task DrainAsync(HttpContext context, ServerOptions options)
    {
        var request = context.Request;
        if (context.Response.HasStarted || request.ContentLength is 0 || request.ContentLength > options.MaxBodyBytes || (request.ContentLength is null && !request.Headers.TransferEncoding.Any()))
        {
            return;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        limit.CancelAfter(options.RequestTimeout);
        try
        {
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                long total = 0;
                int read;
                while (total <= options.MaxBodyBytes && (read = await request.Body.ReadAsync(buffer, limit.Token)) > 0)
                {
                    total += read;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // Best effort: a client that stops sending, or a body already consumed, is simply answered.
        }
    }

    /// <summary>The token a handler's work runs under: cancelled when the client goes away or the request's time limit runs out.</summary>
    internal static CancellationToken Deadline(HttpContext context) =>
        context.Items.TryGetValue(DeadlineKey, out var token) && token is CancellationToken deadline ? deadline : context.RequestAborted;

    internal static async Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        // Keep the served-model headers (they say which model refused); drop any body already set.
        context.Response.StatusCode = status;
        context.Response.ContentLength = null;
        if (RetryAfterSeconds(status) is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds;
        }
        var problem = new
        {
            type = $"https://httpstatuses.io/{status}",
            title,
            status,
            detail,
            instance = context.Request.Path.Value,
            traceId = context.TraceIdentifier,
        };
        await context.Response.WriteAsJsonAsync(problem, Endpoints.RequestInputs.Json, "application/problem+json");
    }

    /// <summary>
    /// When a client should try again (RFC 9110 Retry-After, seconds): 429 (the concurrency limit or the
    /// queue is full: a moment later), 503 (a timeout, not ready yet, shutting down: a few seconds, time for
    /// a probe or another replica). Other refusals are not helped by retrying.
    /// </summary>
    internal static string? RetryAfterSeconds(int status) => status switch
    {
        429 => "1",
        503 => "5",
        _ => null,
    };

    private static string DefaultDetail(HttpContext context) => context.Response.StatusCode switch
    {
        404 => $"No endpoint at {context.Request.Method} {context.Request.Path}; GET /openapi/v1.json lists them.",
        405 => $"{context.Request.Method} is not allowed on {context.Request.Path}.",
        _ => ReasonPhrase(context.Response.StatusCode),
    };

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
