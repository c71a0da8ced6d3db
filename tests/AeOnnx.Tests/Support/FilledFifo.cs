using System.Runtime.InteropServices;

namespace AeOnnx.Tests.Support;

/// <summary>
/// A FIFO that has a writer and bytes waiting in it: a reader that opens it gets data at once instead
/// of blocking, so a test can count what was read (<see cref="Waiting"/> before and after) instead of
/// timing how long a refusal took.
/// </summary>
internal sealed class FilledFifo : IDisposable
{
    private const uint FionRead = 0x541B;
    private readonly FileStream _end;

    public FilledFifo(string path, byte[] contents)
    {
        Assert.Equal(0, mkfifo(path, 0x1b6));

        // Read-write keeps both ends open in this process: opening does not wait, and the bytes stay
        // in the pipe until someone reads them.
        _end = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        _end.Write(contents);
        Assert.Equal(contents.Length, Waiting);
    }

    /// <summary>Bytes written and not read yet.</summary>
    public int Waiting
    {
        get
        {
            Assert.Equal(0, ioctl((int)_end.SafeFileHandle.DangerousGetHandle(), FionRead, out var count));
            return count;
        }
    }

    public void Dispose() => _end.Dispose();

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, uint request, out int count);
}
