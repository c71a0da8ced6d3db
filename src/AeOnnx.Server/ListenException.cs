namespace AeOnnx.Server;

/// <summary>
/// The server could not listen on its address (in use by another process, or not bindable): the model was
/// fine, the start failed. The message is one line naming the address, Kestrel's own reason included.
/// </summary>
public sealed class ListenException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line naming the address and the reason.</param>
    /// <param name="inner">Kestrel's exception.</param>
    public ListenException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
