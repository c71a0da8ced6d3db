using System.Buffers.Binary;
using System.Text;

namespace AeOnnx.Cli.Output;

/// <summary>
/// Reads a 2-D (or 1-D, as one row) C-order float .npy file row by row, so decoding a large latent file
/// needs memory for one batch only. Accepts <c>&lt;f4</c> and <c>&lt;f8</c> (converted to float32).
/// </summary>
internal sealed class NpyReader : IDisposable
{
    private const long MaxHeaderBytes = 1 << 20;
    private const long MaxColumns = 1 << 20;
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
            long headerLength;
            if (major == 1)
            {
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
            }
            else if (major is 2 or 3)
            {
                Span<byte> more = stackalloc byte[2];
                stream.ReadExactly(more);
                headerLength = BinaryPrimitives.ReadUInt32LittleEndian([prefix[8], prefix[9], more[0], more[1]]);
            }
            else
            {
                throw new InvalidDataException($"unsupported .npy version {major}.{prefix[7]}");
            }

            // Sizes are checked against the file before anything is allocated: a header may claim anything.
            if (headerLength > MaxHeaderBytes || stream.Position + headerLength > stream.Length)
            {
                throw new InvalidDataException($"the header claims {headerLength} bytes; the file has {stream.Length - stream.Position} after the prefix (at most {MaxHeaderBytes})");
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
            if (columns is < 1 or > MaxColumns)
            {
                throw new InvalidDataException($"a latent of {columns} values (expected 1 to {MaxColumns})");
            }

            long available = stream.Length - stream.Position;
            long rowBytes = columns * itemSize;
            if (rows > available / rowBytes)
            {
                throw new InvalidDataException($"truncated or bad shape: {rows}x{columns} values of {itemSize} bytes need more than the {available} bytes the file has after its header");
            }

            return new NpyReader(stream, rows, checked((int)columns), itemSize);
        }
        catch (EndOfStreamException e)
        {
            stream.Dispose();
            throw new InvalidDataException("the file ends inside its header", e);
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
