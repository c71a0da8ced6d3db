using System.Runtime.InteropServices;
using AeOnnx.Imaging;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Imaging;

/// <summary>
/// Reading a whole file: the Linux path (open with O_NONBLOCK, fstat, pread) and the portable path
/// other systems use give the same bytes and the same refusals; both run here.
/// </summary>
public sealed class EncodedBytesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Paths => new() { "linux", "portable" };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Both_paths_read_the_same_bytes_and_refuse_the_same_files(string which)
    {
        if (which == "linux" && !OperatingSystem.IsLinux())
        {
            return;
        }

        EncodedBytes Read(string path, ImageLimits? limits = null) => which == "linux"
            ? EncodedBytes.ReadFile(path, limits ?? ImageLimits.Default)
            : EncodedBytes.ReadFilePortable(path, limits ?? ImageLimits.Default);

        var bytes = Enumerable.Range(0, 100_003).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(_temp.File("data.png"), bytes);
        using (var read = Read(_temp.File("data.png")))
        {
            Assert.Equal(bytes, read.Span.ToArray());
        }

        File.CreateSymbolicLink(_temp.File("link.png"), _temp.File("data.png"));
        using (var linked = Read(_temp.File("link.png")))
        {
            Assert.Equal(bytes, linked.Span.ToArray());
        }

        Assert.Equal(ImageLoadError.NotFound, Assert.Throws<ImageLoadException>(() => Read(_temp.File("missing.png"))).Error);
        Directory.CreateDirectory(_temp.File("folder.png"));
        var folder = Assert.Throws<ImageLoadException>(() => Read(_temp.File("folder.png")));
        Assert.Equal(ImageLoadError.Unreadable, folder.Error);
        Assert.Contains("the path is a directory.", folder.Message, StringComparison.Ordinal);

        File.WriteAllBytes(_temp.File("empty.png"), []);
        var empty = Assert.Throws<ImageLoadException>(() => Read(_temp.File("empty.png")));
        Assert.Contains("the file is empty (0 bytes) or not a regular file", empty.Message, StringComparison.Ordinal);

        if (!OperatingSystem.IsWindows() && mkfifo(_temp.File("fifo.png"), 0x1b6) == 0)
        {
            // Must not block waiting for a writer.
            var fifo = Assert.Throws<ImageLoadException>(() => Read(_temp.File("fifo.png")));
            Assert.Contains("not a regular file (a FIFO or device)", fifo.Message, StringComparison.Ordinal);
        }

        var tooLarge = Assert.Throws<ImageLoadException>(() => Read(_temp.File("data.png"), new ImageLimits { MaxFileBytes = 100_000 }));
        Assert.Equal(ImageLoadError.TooLarge, tooLarge.Error);
        Assert.Contains("file is 100003 bytes, the limit is 100000.", tooLarge.Message, StringComparison.Ordinal);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
