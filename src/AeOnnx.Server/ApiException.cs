namespace AeOnnx.Server;

/// <summary>
/// A request the service refuses, with the HTTP status and the reason the client reads in the
/// RFC 7807 problem document. The message never carries server paths or stack traces.
/// </summary>
public sealed class ApiException : Exception
{
    /// <summary>Creates the refusal.</summary>
    /// <param name="status">HTTP status code (4xx or 503).</param>
    /// <param name="title">Short summary of the problem type.</param>
    /// <param name="detail">The reason, for the client.</param>
    public ApiException(int status, string title, string detail)
        : base(detail)
    {
        Status = status;
        Title = title;
    }

    /// <summary>HTTP status code.</summary>
    public int Status { get; }

    /// <summary>Short summary of the problem type.</summary>
    public string Title { get; }

    internal static ApiException BadRequest(string detail) => new(400, "Bad request", detail);

    internal static ApiException TooLarge(string detail) => new(413, "Payload too large", detail);

    internal static ApiException UnsupportedMediaType(string detail) => new(415, "Unsupported media type", detail);

    internal static ApiException Unprocessable(string detail) => new(422, "Unprocessable content", detail);

    internal static ApiException TooManyRequests(string detail) => new(429, "Too many requests", detail);

    internal static ApiException Unavailable(string detail) => new(503, "Service unavailable", detail);
}
