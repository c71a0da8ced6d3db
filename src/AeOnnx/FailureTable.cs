using AeOnnx.Imaging;

namespace AeOnnx;

/// <summary>
/// The one table from failures to what the programs say about them: each <see cref="FailureKind"/>
/// with the CLI's exit code (<see cref="ExitCodes"/>) and the service's HTTP status and problem title.
/// <c>aeonnx</c>'s verbs and the service both classify exceptions here, so the same failure never
/// means two things.
/// </summary>
internal static class FailureTable
{
    // An image the CLI cannot use is skipped and the job goes on: it exits 3 (some inputs skipped).
    private static readonly Dictionary<FailureKind, Row> Rows = new()
    {
        [FailureKind.Usage] = new(ExitCodes.Usage, 400, "Bad request"),
        [FailureKind.ImageTooLarge] = new(ExitCodes.SomeInputsSkipped, 413, "Payload too large"),
        [FailureKind.ImageUnsupported] = new(ExitCodes.SomeInputsSkipped, 415, "Unsupported media type"),
        [FailureKind.ImageUnusable] = new(ExitCodes.SomeInputsSkipped, 422, "Unprocessable content"),
        [FailureKind.ModelRefused] = new(ExitCodes.Fatal, 422, "Unprocessable content"),
        [FailureKind.DeviceUnavailable] = new(ExitCodes.Fatal, 503, "Service unavailable"),
        [FailureKind.ModelFailed] = new(ExitCodes.Fatal, 500, "Internal server error"),
        [FailureKind.Io] = new(ExitCodes.Fatal, 500, "Internal server error"),
        [FailureKind.OutOfMemory] = new(ExitCodes.Fatal, 500, "Internal server error"),
        [FailureKind.Cancelled] = new(ExitCodes.Interrupted, 499, "Client closed request"),
        [FailureKind.Internal] = new(ExitCodes.Fatal, 500, "Internal server error"),
    };

    /// <summary>The exit code of <c>aeonnx</c> for a failure of this kind.</summary>
    public static int ExitCode(FailureKind kind) => Rows[kind].ExitCode;

    /// <summary>The HTTP status of the service for a failure of this kind.</summary>
    public static int HttpStatus(FailureKind kind) => Rows[kind].HttpStatus;

    /// <summary>The problem document's title for a failure of this kind.</summary>
    public static string Title(FailureKind kind) => Rows[kind].Title;

    /// <summary>
    /// Classifies an exception. Cancellation only counts when <paramref name="cancelled"/> is set (the
    /// caller's own token fired); an <see cref="ArgumentException"/> that escapes is a bug (arguments are
    /// checked where they are parsed), so it is <see cref="FailureKind.Internal"/>.
    /// </summary>
    public static FailureKind Classify(Exception exception, bool cancelled = false) => exception switch
    {
        OperationCanceledException when cancelled => FailureKind.Cancelled,
        ImageLoadException { Error: ImageLoadError.TooLarge } => FailureKind.ImageTooLarge,
        ImageLoadException { Error: ImageLoadError.UnsupportedFormat } => FailureKind.ImageUnsupported,
        ImageLoadException => FailureKind.ImageUnusable,
        ModelLoadException => FailureKind.ModelRefused,
        DeviceUnavailableException => FailureKind.DeviceUnavailable,
        InvalidDataException => FailureKind.Usage,
        IOException or UnauthorizedAccessException => FailureKind.Io,
        Microsoft.ML.OnnxRuntime.OnnxRuntimeException => FailureKind.ModelFailed,
        OutOfMemoryException => FailureKind.OutOfMemory,
        _ => FailureKind.Internal,
    };

    /// <summary>
    /// True when an exception from loading a model folder means "this folder (or device) cannot be used",
    /// as opposed to a bug: a refused manifest or graph, an unavailable device, an unreadable file, or
    /// options the model does not allow (a batch over its budget).
    /// </summary>
    public static bool IsLoadRefusal(Exception exception) =>
        exception is ModelLoadException or DeviceUnavailableException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException;

    /// <summary>The message on one line, without .NET's " (Parameter 'x')" suffix, at most 600 characters.</summary>
    public static string OneLine(Exception exception)
    {
        var message = exception.Message;
        if (exception is ArgumentException { ParamName: { Length: > 0 } name })
        {
            var suffix = message.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal);
            message = suffix >= 0 ? message[..suffix] : message;
        }

        var line = message.ReplaceLineEndings(" ").Trim();
        return line.Length > 600 ? line[..600] + "..." : line;
    }

    private sealed record Row(int ExitCode, int HttpStatus, string Title);
}
