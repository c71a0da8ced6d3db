using System.Buffers.Binary;
using System.Text;

namespace AeOnnx.Cli.Output;

/// <summary>
/// Reads a 2-D (or 1-D, as one row) C-order float .npy file row by row, so decoding a large latent file
/// needs memory for one batch only. Accepts <c>&lt;f4</c> and <c>&lt;f8</c> (converted to float32).
/// </summary>
internal sealed class NpyReader : IDisposable
{
    private readonly Stream stream;
    private readonly int itemSize;
    private readonly byte[] rowBuffer;

    private NpyReader(Stream stream, long rows, int columns, int itemSize)
    {
        this.stream = stream;
        Rows = rows;
        Columns = columns;
        this.itemSize = itemSize;
        rowBuffer = new byte[columns * itemSize];
    }

    public long Rows { get; }

    public int Columns { get; }

    public static NpyReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> prefix = stackalloc byte[10];
            stream.ReadExactly(prefix);
            if (!prefix[..6].SequenceEqual(NpyFile.MagicBytes))
            {
                throw new InvalidDataException("not a .npy file (bad magic)");
            }

            int major = prefix[6];
            int headerLength;
            if (major == 1)
            {
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
            }
            else if (major is 2 or 3)
            {
                Span<byte> more = stackalloc byte[2];
                stream.ReadExactly(more);
                headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian([prefix[8], prefix[9], more[0], more[1]]));
            }
            else
            {
                throw new InvalidDataException($"unsupported .npy version {major}.{prefix[7]}");
            }

            var headerBytes = new byte[headerLength];
            stream.ReadExactly(headerBytes);
            (string descr, bool fortran, long[] shape) = NpyFile.ParseHeader(Encoding.Latin1.GetString(headerBytes));
            int itemSize = descr switch
            {
                "<f4" => 4,
                "<f8" => 8,
                _ => throw new InvalidDataException($"unsupported dtype '{descr}' (expected float32 '<f4' or float64 '<f8')"),
            };
            if (fortran && shape.Length > 1)
            {
                throw new InvalidDataException("Fortran-order arrays are not supported; save with C order");
            }

            (long rows, long columns) = shape.Length switch
            {
                1 => (1L, shape[0]),
                2 => (shape[0], shape[1]),
                _ => throw new InvalidDataException($"expected a 2-D array [N, D], found {shape.Length} dimensions"),
            };
            long expected = stream.Position + (rows * columns * itemSize);
            if (stream.Length < expected)
            {
                throw new InvalidDataException($"truncated: {rows}x{columns} values need {expected} bytes, the file has {stream.Length}");
            }

            return new NpyReader(stream, rows, checked((int)columns), itemSize);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public void ReadRow(Span<float> destination)
    {
        stream.ReadExactly(rowBuffer);
        for (int c = 0; c < Columns; c++)
        {
            destination[c] = itemSize == 4
                ? BinaryPrimitives.ReadSingleLittleEndian(rowBuffer.AsSpan(c * 4))
                : (float)BinaryPrimitives.ReadDoubleLittleEndian(rowBuffer.AsSpan(c * 8));
        }
    }

    public void Dispose() => stream.Dispose();
}
