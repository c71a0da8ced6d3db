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

    /// <summary>The refusal for a failure of <paramref name="kind"/>: status and title from the one table (<see cref="FailureTable"/>).</summary>
    internal static ApiException From(FailureKind kind, string detail) => new(FailureTable.HttpStatus(kind), FailureTable.Title(kind), detail);

    internal static ApiException BadRequest(string detail) => From(FailureKind.Usage, detail);

    internal static ApiException TooLarge(string detail) => From(FailureKind.ImageTooLarge, detail);

    internal static ApiException UnsupportedMediaType(string detail) => From(FailureKind.ImageUnsupported, detail);

    internal static ApiException Unprocessable(string detail) => From(FailureKind.ImageUnusable, detail);

    internal static ApiException TooManyRequests(string detail) => new(429, "Too many requests", detail);

    internal static ApiException Unavailable(string detail) => new(503, "Service unavailable", detail);
}
