namespace AeOnnx.Imaging;

/// <summary>
/// The one exception thrown when an image cannot be read, decoded or accepted.
/// The message names the file; <see cref="Error"/> says why in a form code can switch on.
/// </summary>
public sealed class ImageLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file (or stream name) at fault.</param>
    /// <param name="error">Why it failed.</param>
    /// <param name="detail">A human-readable explanation.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public ImageLoadException(string path, ImageLoadError error, string detail, Exception? innerException = null)
        : base($"Cannot load image {path}: {Describe(error)}: {detail}", innerException)
    {
        Path = path;
        Error = error;
    }

    /// <summary>The file (or stream name) at fault.</summary>
    public string Path { get; }

    /// <summary>Why it failed.</summary>
    public ImageLoadError Error { get; }

    private static string Describe(ImageLoadError error) => error switch
    {
        ImageLoadError.NotFound => "not found",
        ImageLoadError.Unreadable => "unreadable",
        ImageLoadError.UnsupportedFormat => "unsupported format",
        ImageLoadError.Corrupt => "corrupt",
        ImageLoadError.TooLarge => "too large",
        _ => error.ToString(),
    };
}
