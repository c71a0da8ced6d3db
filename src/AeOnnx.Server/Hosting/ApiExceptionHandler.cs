using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// The exception handler behind <c>UseExceptionHandler</c>: what escapes an endpoint or a middleware
/// becomes a problem document. A refusal (<see cref="ApiException"/>) keeps its status and reason,
/// Kestrel's own (a body over the limit: 413, broken framing: 400) theirs; a client that went away gets
/// no answer (499 in the metrics, nginx's name for it); anything else is a 500 whose reason stays in the log.
/// </summary>
[SuppressMessage("Performance", "CA1812", Justification = "Created by the container (AddExceptionHandler).")]
internal sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case ApiException refusal:
                await ProblemAnswers.WriteAsync(httpContext, refusal.Status, refusal.Title, refusal.Message);
                return true;
            case BadHttpRequestException kestrel:
                await ProblemAnswers.WriteAsync(httpContext, kestrel.StatusCode, ProblemAnswers.ReasonPhrase(kestrel.StatusCode), kestrel.Message);
                return true;
            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                httpContext.Response.StatusCode = FailureTable.HttpStatus(FailureKind.Cancelled);
                return true;
            default:
                logger.LogError(exception, "unhandled error in {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
                await ProblemAnswers.WriteAsync(httpContext, FailureTable.HttpStatus(FailureKind.Internal), FailureTable.Title(FailureKind.Internal), ProblemAnswers.InternalDetail(httpContext));
                return true;
        }
    }
}
