namespace AeOnnx;

/// <summary>
/// The one exception thrown when a model folder or graph pair cannot be loaded: a missing,
/// truncated or non-ONNX file, malformed or unknown manifest, hash mismatch, or a graph that
/// disagrees with the manifest. The message names the file, the field, the expected and the
/// found value; the same facts are available as properties.
/// </summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception with a plain message.</summary>
    /// <param name="message">What went wrong.</param>
    public ModelLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a plain message and the underlying cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The underlying cause.</param>
    public ModelLoadException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from its parts; the message is composed from them.</summary>
    /// <param name="file">The file at fault (path as given to the loader).</param>
    /// <param name="field">The manifest field or graph property at fault, if any.</param>
    /// <param name="expected">What was expected, if applicable.</param>
    /// <param name="found">What was found, if applicable.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public ModelLoadException(string file, string? field, string? expected, string? found, Exception? innerException = null)
        : base(Compose(file, field, expected, found), innerException)
    {
        File = file;
        Field = field;
        Expected = expected;
        Found = found;
    }

    /// <summary>The file at fault.</summary>
    public string? File { get; }

    /// <summary>The manifest field or graph property at fault.</summary>
    public string? Field { get; }

    /// <summary>What the loader expected.</summary>
    public string? Expected { get; }

    /// <summary>What the loader found.</summary>
    public string? Found { get; }

    private static string Compose(string file, string? field, string? expected, string? found)
    {
        var text = $"Cannot load model: {file}";
        if (field is not null)
        {
            text += $": {field}";
        }

        if (expected is not null)
        {
            text += $": expected {expected}";
        }

        if (found is not null)
        {
            text += expected is null ? $": {found}" : $", found {found}";
        }

        return text + ".";
    }
}
