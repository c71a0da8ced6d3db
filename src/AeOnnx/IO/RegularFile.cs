using System.Runtime.InteropServices;
using AeOnnx.Imaging;
using Microsoft.Win32.SafeHandles;

namespace AeOnnx.IO;

/// <summary>
/// The one way AeOnnx opens a file it reads whole (an image, a manifest, a graph, a pointer file, a
/// token): only a non-empty regular file of at most a given size, opened so that a FIFO, a socket or a
/// device can never block or feed it for ever. On Linux one <c>open(O_RDONLY | O_NONBLOCK | O_CLOEXEC)</c>
/// and one <c>fstat</c>: O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer,
/// and the type check then refuses it with the other non-files. Other systems check before opening.
/// </summary>
internal static class RegularFile
{
    /// <summary>Opens <paramref name="path"/> for reading after the checks; the caller reads <paramref name="length"/> bytes.</summary>
    /// <exception cref="RegularFileException">Missing, a directory, empty or not a regular file, larger than <paramref name="maxBytes"/>, or unreadable.</exception>
    public static SafeFileHandle Open(string path, long maxBytes, out long length) =>
        OperatingSystem.IsLinux() ? OpenLinux(path, maxBytes, out length) : OpenPortable(path, maxBytes, out length);

    /// <summary>Reads a whole regular file of at most <paramref name="maxBytes"/> bytes (see <see cref="Open"/>).</summary>
    /// <exception cref="RegularFileException">The file is refused or cannot be read.</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes)
    {
        using var handle = Open(path, Math.Min(maxBytes, Array.MaxLength), out var length);
        try
        {
            var bytes = new byte[length];
            var total = 0;
            int read;
            while (total < length && (read = RandomAccess.Read(handle, bytes.AsSpan(total), total)) > 0)
            {
                total += read;
            }

            // A file that shrank while being read is what is left of it.
            return total == bytes.Length ? bytes : bytes[..total];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new RegularFileException(path, RegularFileProblem.Unreadable, ex.Message, ex);
        }
    }

    private static SafeFileHandle OpenLinux(string path, long maxBytes, out long length)
    {
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new RegularFileException(path, RegularFileProblem.NotFound, "no such file.");
        }

        var fd = LinuxFiles.Open(path, LinuxFiles.ORdOnly | LinuxFiles.ONonBlock | LinuxFiles.OCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                LinuxFiles.ENoEnt => new RegularFileException(path, RegularFileProblem.NotFound, "no such file."),
                LinuxFiles.ENotDir => new RegularFileException(path, RegularFileProblem.NotFound, "no such directory."),
                _ => new RegularFileException(path, RegularFileProblem.Unreadable, LinuxFiles.Describe(errno, path)),
            };
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if ((File.GetAttributes(handle) & FileAttributes.Directory) != 0)
            {
                throw new RegularFileException(path, RegularFileProblem.Directory, "the path is a directory.");
            }

            // A FIFO, socket or device has no length (.NET refuses to measure what cannot seek), and
            // neither has an empty file: nothing to read.
            try
            {
                length = RandomAccess.GetLength(handle);
            }
            catch (NotSupportedException)
            {
                length = 0;
            }

            Check(path, length, maxBytes);
            return handle;
        }
        catch (Exception ex) when (ex is not RegularFileException and (IOException or UnauthorizedAccessException or NotSupportedException))
        {
            handle.Dispose();
            throw new RegularFileException(path, RegularFileProblem.Unreadable, ex.Message, ex);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Other systems: checks before opening (a FIFO would block the open), then the same size rules.</summary>
    internal static SafeFileHandle OpenPortable(string path, long maxBytes, out long length)
    {
        if (Directory.Exists(path))
        {
            throw new RegularFileException(path, RegularFileProblem.Directory, "the path is a directory.");
        }

        if (!File.Exists(path))
        {
            throw new RegularFileException(path, RegularFileProblem.NotFound, "no such file.");
        }

        try
        {
            // Opening a FIFO blocks until a writer appears; it (like a device or a /proc file) has
            // no size, and neither has an empty file: refuse before opening.
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            Check(path, target.Length, long.MaxValue);
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            try
            {
                length = RandomAccess.GetLength(handle);
                Check(path, length, maxBytes);
                return handle;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }
        catch (FileNotFoundException ex)
        {
            throw new RegularFileException(path, RegularFileProblem.NotFound, "no such file.", ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new RegularFileException(path, RegularFileProblem.NotFound, "no such directory.", ex);
        }
        catch (Exception ex) when (ex is not RegularFileException and (IOException or UnauthorizedAccessException or NotSupportedException))
        {
            throw new RegularFileException(path, RegularFileProblem.Unreadable, ex.Message, ex);
        }
    }

    private static void Check(string path, long length, long maxBytes)
    {
        if (length == 0)
        {
            throw new RegularFileException(path, RegularFileProblem.NotRegular, "the file is empty (0 bytes) or not a regular file (a FIFO or device).");
        }

        if (length > maxBytes)
        {
            throw new RegularFileException(path, RegularFileProblem.TooLarge, $"file is {length} bytes, the limit is {maxBytes}.");
        }

        if (length > Array.MaxLength)
        {
            throw new RegularFileException(path, RegularFileProblem.TooLarge, $"file is {length} bytes, more than one buffer can hold.");
        }
    }
}
