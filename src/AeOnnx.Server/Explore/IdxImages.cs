using System.Buffers.Binary;
using System.IO.Compression;
using AeOnnx.IO;

namespace AeOnnx.Server.Explore;

/// <summary>
/// Reads the IDX files of MNIST and Fashion-MNIST (<c>*-images-idx3-ubyte[.gz]</c>: unsigned bytes, N × rows ×
/// cols; <c>*-labels-idx1-ubyte[.gz]</c>: N bytes), gzip-compressed or not, as the training code reads them.
/// </summary>
internal static class IdxImages
{
    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;

    /// <summary>Largest IDX file read (compressed size): 512 MiB.</summary>
    private const long MaxFileBytes = 512L * 1024 * 1024;

    /// <summary>True when the path names an IDX image file by its conventional name.</summary>
    public static bool IsImagesFile(string path) =>
        Path.GetFileName(path).Contains("-images-idx3-ubyte", StringComparison.Ordinal);

    /// <summary>The first <paramref name="maxImages"/> images of an IDX3 file: their size and pixels (one byte per pixel, row-major).</summary>
    /// <exception cref="InvalidDataException">The file is not an IDX3 unsigned-byte file or is cut short.</exception>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path, int maxImages)
    {
        using var stream = Open(path);
        Span<byte> header = stackalloc byte[16];
        ReadExactly(stream, header, path);
        var magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != ImagesMagic)
        {
            throw new InvalidDataException($"'{Path.GetFileName(path)}' is not an IDX image file (magic 0x{magic:x8}, expected 0x{ImagesMagic:x8}).");
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        var rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        var columns = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        if (count < 0 || rows is < 1 or > 1024 || columns is < 1 or > 1024)
        {
            throw new InvalidDataException($"'{Path.GetFileName(path)}' declares {count} images of {rows}x{columns}: not a plausible IDX image file.");
        }

        var taken = Math.Min(count, maxImages);
        var pixels = new byte[(long)taken * rows * columns];
        ReadExactly(stream, pixels, path);
        return (taken, rows, columns, pixels);
    }

    /// <summary>The labels file beside an images file (same prefix, <c>-labels-idx1-ubyte</c>), or null when there is none.</summary>
    public static string? LabelsFileFor(string imagesPath)
    {
        var name = Path.GetFileName(imagesPath).Replace("-images-idx3-ubyte", "-labels-idx1-ubyte", StringComparison.Ordinal);
        var candidate = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(imagesPath))!, name);
        return File.Exists(candidate) ? candidate : null;
    }

    /// <summary>The first <paramref name="count"/> labels of an IDX1 file.</summary>
    /// <exception cref="InvalidDataException">The file is not an IDX1 unsigned-byte file or holds fewer labels.</exception>
    public static byte[] ReadLabels(string path, int count)
    {
        using var stream = Open(path);
        Span<byte> header = stackalloc byte[8];
        ReadExactly(stream, header, path);
        var magic = BinaryPrimitives.ReadInt32BigEndian(header);
        var declared = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (magic != LabelsMagic || declared < count)
        {
            throw new InvalidDataException($"'{Path.GetFileName(path)}' is not an IDX label file with at least {count} labels (magic 0x{magic:x8}, {declared} labels).");
        }

        var labels = new byte[count];
        ReadExactly(stream, labels, path);
        return labels;
    }

    private static Stream Open(string path)
    {
        // A regular file only (a FIFO in its place must not hang the start), of bounded size.
        var bytes = RegularFile.ReadAllBytes(path, MaxFileBytes);
        var file = new MemoryStream(bytes, writable: false);
        return bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"'{Path.GetFileName(path)}' ends before its declared content.");
        }
    }
}
