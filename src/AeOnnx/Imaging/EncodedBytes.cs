using AeOnnx.IO;
using Microsoft.Win32.SafeHandles;

namespace AeOnnx.Imaging;

/// <summary>
/// An encoded image file read once, whole, into a pooled buffer: the decoder parses the header and
/// the pixels from the same bytes, so nothing is read twice and no per-image buffer is allocated.
/// </summary>
internal sealed class EncodedBytes : IDisposable
{
    private readonly bool _pooled;
    private byte[]? _buffer;

    private EncodedBytes(byte[] buffer, int length, bool pooled = true)
    {
        _buffer = buffer;
        Length = length;
        _pooled = pooled;
    }

    public int Length { get; }

    public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(EncodedBytes));

    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null && _pooled)
        {
            PixelBuffers.Return(buffer);
        }
    }

    /// <summary>Bytes already in memory (an uploaded image), used in place under the same byte limit.</summary>
    public static EncodedBytes Wrap(byte[] bytes, string name, ImageLimits limits)
    {
        if (bytes.Length > limits.MaxFileBytes)
        {
            throw new ImageLoadException(name, ImageLoadError.TooLarge, $"stream is {bytes.Length} bytes, the limit is {limits.MaxFileBytes}.");
        }

        return new EncodedBytes(bytes, bytes.Length, pooled: false);
    }

    /// <summary>
    /// Reads a whole file after the checks that must come before opening it (<see cref="RegularFile"/>:
    /// on Linux one open with O_NONBLOCK, one fstat, preads and a close, five system calls a file where
    /// a FileStream makes thirteen, which on small images cost as much as decoding them).
    /// </summary>
    public static EncodedBytes ReadFile(string path, ImageLimits limits) => Read(path, limits, RegularFile.Open);

    /// <summary>The path other systems take (checks before opening), testable on Linux too.</summary>
    internal static EncodedBytes ReadFilePortable(string path, ImageLimits limits) => Read(path, limits, RegularFile.OpenPortable);

    private delegate SafeFileHandle Opener(string path, long maxBytes, out long length);

    private static EncodedBytes Read(string path, ImageLimits limits, Opener open)
    {
        SafeFileHandle handle;
        long length;
        try
        {
            handle = open(path, limits.MaxFileBytes, out length);
        }
        catch (RegularFileException e)
        {
            var error = e.Problem switch
            {
                RegularFileProblem.NotFound => ImageLoadError.NotFound,
                RegularFileProblem.TooLarge => ImageLoadError.TooLarge,
                _ => ImageLoadError.Unreadable,
            };
            throw new ImageLoadException(path, error, e.Detail, e.InnerException);
        }

        using (handle)
        {
            try
            {
                return ReadAll(handle, length);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                throw new ImageLoadException(path, ImageLoadError.Unreadable, ex.Message, ex);
            }
        }
    }

    private static EncodedBytes ReadAll(SafeFileHandle handle, long length)
    {
        var buffer = PixelBuffers.Rent((int)length);
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
            PixelBuffers.Return(buffer);
            throw;
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

            buffer = PixelBuffers.Rent(initial);
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length >= Array.MaxLength)
                    {
                        throw new ImageLoadException(name, ImageLoadError.TooLarge, "stream is larger than one buffer can hold.");
                    }

                    var larger = PixelBuffers.Rent((int)Math.Min((long)buffer.Length * 2, Array.MaxLength));
                    buffer.AsSpan(0, total).CopyTo(larger);
                    PixelBuffers.Return(buffer);
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
                PixelBuffers.Return(buffer);
            }
        }
    }
}
