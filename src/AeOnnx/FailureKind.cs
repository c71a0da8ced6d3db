namespace AeOnnx;

/// <summary>What kind of failure an exception is: the key of <see cref="FailureTable"/>.</summary>
internal enum FailureKind
{
    /// <summary>A bad argument or value, or a data file that does not parse: the caller's input.</summary>
    Usage,

    /// <summary>An image over the byte, pixel or decoding-work limits.</summary>
    ImageTooLarge,

    /// <summary>Bytes that are none of the registered image formats.</summary>
    ImageUnsupported,

    /// <summary>An image that cannot be used: damaged, missing, unreadable.</summary>
    ImageUnusable,

    /// <summary>A model folder the loader refused (manifest, checksum, shapes, files).</summary>
    ModelRefused,

    /// <summary>The requested device (CUDA) cannot start, or no native ONNX Runtime is installed.</summary>
    DeviceUnavailable,

    /// <summary>A model that loaded fails when run (ONNX Runtime error).</summary>
    ModelFailed,

    /// <summary>A file or folder cannot be read or written.</summary>
    Io,

    /// <summary>Out of memory.</summary>
    OutOfMemory,

    /// <summary>The caller cancelled (Ctrl+C, a client that went away).</summary>
    Cancelled,

    /// <summary>Anything else: a bug, reported without a stack trace.</summary>
    Internal,
}
