using System.Buffers;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// How the service says no: every refusal and failure is an RFC 7807 problem document written by the
/// framework's <see cref="IProblemDetailsService"/> (status, title, the reason in <c>detail</c>, the
/// request's path and trace id), with Retry-After where retrying helps. Clients read the reason;
/// stack traces and server paths only go to the log.
/// </summary>
internal static class ProblemAnswers
{
    /// <summary>Fills what every problem document carries (<see cref="ProblemJsonWriter"/> calls it).</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Type = $"https://httpstatuses.io/{status}";
        problem.Title ??= ReasonPhrase(status);
        problem.Instance ??= context.HttpContext.Request.Path.Value;
        problem.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
        if (RetryAfterSeconds(status) is { } seconds)
        {
            context.HttpContext.Response.Headers.RetryAfter = seconds;
        }
    }

    /// <summary>
    /// Answers <paramref name="status"/> with a problem document, after reading what is left of the
    /// request's body (a client still uploading gets the answer, not a connection closed under it).
    /// The served-model headers already set stay: they say which model refused.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        await DrainAsync(context);
        context.Response.StatusCode = status;
        context.Response.ContentLength = null;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>The 500 answer: the reason stays in the log, the client gets the trace id to quote.</summary>
    public static string InternalDetail(HttpContext context) =>
        $"The server failed to answer; the log has the details (trace id {Activity.Current?.Id ?? context.TraceIdentifier}).";

    /// <summary>What a bare status (routing's 404 and 405, a handler's empty refusal) says.</summary>
    public static string DefaultDetail(HttpContext context) => context.Response.StatusCode switch
    {
        404 => $"No endpoint at {context.Request.Method} {context.Request.Path}; GET /openapi/v1.json lists them.",
        405 => $"{context.Request.Method} is not allowed on {context.Request.Path}.",
        var status => ReasonPhrase(status),
    };

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

    public static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";

    /// <summary>
    /// Reads (and discards) what is left of a refused request's body, bounded by the body limit and the
    /// request time limit; costs no memory. Best effort: a client that stops sending is simply answered.
    /// </summary>
    private static async Task DrainAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<ServerOptions>();
        var request = context.Request;
        if (request.ContentLength is 0 || request.ContentLength > options.MaxBodyBytes || (request.ContentLength is null && !request.Headers.TransferEncoding.Any()))
        {
            return;
        }

        using var limit = new CancellationTokenSource(options.RequestTimeout);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long total = 0;
            int read;
            while (total <= options.MaxBodyBytes && (read = await request.Body.ReadAsync(buffer, limit.Token)) > 0)
            {
                total += read;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or BadHttpRequestException)
        {
            // The client stopped sending, went away, or the body was already consumed.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
