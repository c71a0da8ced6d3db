namespace AeOnnx.ML;

/// <summary>
/// A transformer's model folder now holds a model its <see cref="AutoencoderModelPolicy"/> refuses
/// (other graphs under <see cref="AutoencoderModelPolicy.Pinned"/>, another name or preprocessing under
/// <see cref="AutoencoderModelPolicy.Compatible"/>, other shapes under any policy). No row was computed
/// with it. The message names the column, the folder, the field, the expected and the found value.
/// </summary>
public sealed class AutoencoderModelMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was expected and what was found.</param>
    public AutoencoderModelMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with no message (serialization and tooling).</summary>
    public AutoencoderModelMismatchException()
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="innerException">The cause.</param>
    public AutoencoderModelMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
