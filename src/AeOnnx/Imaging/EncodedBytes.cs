using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AeOnnx.Imaging;

/// <summary>
/// An encoded image file read once, whole, into a pooled buffer: the decoder parses the header and
/// the pixels from the same bytes, so nothing is read twice and no per-image buffer is allocated.
/// </summary>
internal sealed class EncodedBytes : IDisposable
{
    private byte[]? _buffer;

    private EncodedBytes(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(EncodedBytes));

    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads a whole file after the checks that must come before opening it.</summary>
    public static EncodedBytes ReadFile(string path, ImageLimits limits) =>
        OperatingSystem.IsLinux() ? ReadFileLinux(path, limits) : ReadFilePortable(path, limits);

    /// <summary>
    /// Linux: one <c>open(O_RDONLY | O_NONBLOCK | O_CLOEXEC)</c>, one <c>fstat</c>, <c>pread</c>s and a
    /// <c>close</c>: five system calls a file where <see cref="ReadFilePortable"/> makes thirteen (the
    /// existence, link and type checks, and .NET's advisory <c>flock</c> around every FileStream),
    /// which on small images cost as much as decoding them. O_NONBLOCK makes opening a FIFO return at
    /// once instead of waiting for a writer; the type check then refuses it with the other non-files.
    /// </summary>
    private static EncodedBytes ReadFileLinux(string path, ImageLimits limits)
    {
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ImageLoadException(path, ImageLoadError.NotFound, "no such file.");
        }

        var fd = LinuxFiles.Open(path, LinuxFiles.ORdOnly | LinuxFiles.ONonBlock | LinuxFiles.OCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                LinuxFiles.ENoEnt => new ImageLoadException(path, ImageLoadError.NotFound, "no such file."),
                LinuxFiles.ENotDir => new ImageLoadException(path, ImageLoadError.NotFound, "no such directory."),
                _ => new ImageLoadException(path, ImageLoadError.Unreadable, LinuxFiles.Describe(errno, path)),
            };
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if ((File.GetAttributes(handle) & FileAttributes.Directory) != 0)
            {
                throw new ImageLoadException(path, ImageLoadError.Unreadable, "the path is a directory.");
            }

            // A FIFO, socket or device has no length (.NET refuses to measure what cannot seek), and
            // neither has an empty file: nothing to decode.
            long length;
            try
            {
                length = RandomAccess.GetLength(handle);
            }
            catch (NotSupportedException)
            {
                length = 0;
            }

            if (length == 0)
            {
                throw new ImageLoadException(path, ImageLoadError.Unreadable, "the file is empty (0 bytes) or not a regular file (a FIFO or device).");
            }

            return ReadAll(handle, length, path, limits);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ImageLoadException(path, ImageLoadError.Unreadable, ex.Message, ex);
        }
    }

    private static EncodedBytes ReadAll(SafeFileHandle handle, long length, string path, ImageLimits limits)
    {
        if (length > limits.MaxFileBytes)
        {
            throw new ImageLoadException(path, ImageLoadError.TooLarge, $"file is {length} bytes, the limit is {limits.MaxFileBytes}.");
        }

        if (length > Array.MaxLength)
        {
            throw new ImageLoadException(path, ImageLoadError.TooLarge, $"file is {length} bytes, more than one buffer can hold.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var total = 0;
            int read;
            while (total < length && (read = RandomAccess.Read(handle, buffer.AsSpan(total, (int)length - total), total)) > 0)
            {
                total += read;
            }

            // A file that shrank while being read is what is left of it: the decoder then
            // reports it as truncated, like any other cut file.
            return new EncodedBytes(buffer, total);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Other systems: checks before opening (a FIFO would block the open), then the same read.</summary>
    internal static EncodedBytes ReadFilePortable(string path, ImageLimits limits)
    {
        if (Directory.Exists(path))
        {
            throw new ImageLoadException(path, ImageLoadError.Unreadable, "the path is a directory.");
        }

        if (!File.Exists(path))
        {
            throw new ImageLoadException(path, ImageLoadError.NotFound, "no such file.");
        }

        try
        {
            // Opening a FIFO blocks until a writer appears; it (like a device or a /proc file) has
            // no size, and neither has an empty file: nothing to decode, so refuse before opening.
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            if (target.Length == 0)
            {
                throw new ImageLoadException(path, ImageLoadError.Unreadable, "the file is empty (0 bytes) or not a regular file (a FIFO or device).");
            }

            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return ReadAll(handle, RandomAccess.GetLength(handle), path, limits);
        }
        catch (FileNotFoundException ex)
        {
            throw new ImageLoadException(path, ImageLoadError.NotFound, "no such file.", ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new ImageLoadException(path, ImageLoadError.NotFound, "no such directory.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ImageLoadException(path, ImageLoadError.Unreadable, ex.Message, ex);
        }
    }

    /// <summary>Reads a stream from its position to its end, refusing more than the byte limit as it goes.</summary>
    public static EncodedBytes ReadStream(Stream stream, string name, ImageLimits limits)
    {
        byte[]? buffer = null;
        try
        {
            var initial = 64 * 1024;
            if (stream.CanSeek)
            {
                var remaining = stream.Length - stream.Position;
                if (remaining > limits.MaxFileBytes)
                {
                    throw new ImageLoadException(name, ImageLoadError.TooLarge, $"stream is {remaining} bytes, the limit is {limits.MaxFileBytes}.");
                }

                initial = (int)Math.Clamp(remaining + 1, 1, Array.MaxLength);
            }

            buffer = ArrayPool<byte>.Shared.Rent(initial);
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length >= Array.MaxLength)
                    {
                        throw new ImageLoadException(name, ImageLoadError.TooLarge, "stream is larger than one buffer can hold.");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, Array.MaxLength));
                    buffer.AsSpan(0, total).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                // Never ask for more than one byte past the limit: an endless stream stops there.
                var wanted = (int)Math.Min(buffer.Length - total, limits.MaxFileBytes + 1 - total);
                var read = stream.Read(buffer, total, wanted);
                if (read <= 0)
                {
                    break;
                }

                total += read;
                if (total > limits.MaxFileBytes)
                {
                    throw new ImageLoadException(name, ImageLoadError.TooLarge, $"stream exceeds the limit of {limits.MaxFileBytes} bytes.");
                }
            }

            var result = new EncodedBytes(buffer, total);
            buffer = null;
            return result;
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or ObjectDisposedException)
        {
            throw new ImageLoadException(name, ImageLoadError.Unreadable, ex.Message, ex);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
