namespace AeOnnx.IO;

/// <summary>Why <see cref="RegularFile"/> refused a path.</summary>
internal enum RegularFileProblem
{
    /// <summary>No such file or folder on the way.</summary>
    NotFound,

    /// <summary>The path is a directory.</summary>
    Directory,

    /// <summary>An empty file, or not a regular file (a FIFO, socket or device).</summary>
    NotRegular,

    /// <summary>Larger than the caller's limit.</summary>
    TooLarge,

    /// <summary>Cannot be opened or read (permissions, link loops, I/O errors).</summary>
    Unreadable,
}
