using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// Writes every problem document as <c>application/problem+json</c>, whatever the request's Accept
/// header asked for: a client that wanted a PNG and is refused must still read why. (The framework's
/// default writer declines such requests and leaves an empty 500.) Registered before
/// <c>AddProblemDetails</c>, so the framework's middleware (exception handler, status code pages)
/// writes through it too.
/// </summary>
[SuppressMessage("Performance", "CA1812", Justification = "Created by the container.")]
internal sealed class ProblemJsonWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ProblemAnswers.Customize(context);
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(context.ProblemDetails, options: null, contentType: "application/problem+json"));
    }
}
