using System.Buffers.Binary;

namespace AeOnnx.Cli.Output;

/// <summary>
/// Reads a 2-D (or 1-D, as one row) C-order float .npy file row by row, so decoding a large latent file
/// needs memory for one batch only. Accepts <c>&lt;f4</c> and <c>&lt;f8</c> (converted to float32).
/// </summary>
internal sealed class NpyReader : IDisposable
{
    private const long MaxColumns = 1 << 20;
    private readonly Stream _stream;
    private readonly int _itemSize;
    private readonly byte[] _rowBuffer;

    private NpyReader(Stream stream, long rows, int columns, int itemSize)
    {
        this._stream = stream;
        Rows = rows;
        Columns = columns;
        this._itemSize = itemSize;
        _rowBuffer = new byte[columns * itemSize];
    }

    public long Rows { get; }

    public int Columns { get; }

    /// <summary>Opens a .npy of latents: a regular file whose header follows NumPy's rules (<see cref="NpyHeader"/>) and whose data is exactly what its shape says.</summary>
    /// <exception cref="InvalidDataException">The file is refused, with the reason.</exception>
    public static NpyReader Open(string path)
    {
        FileStream stream;
        long fileLength;
        try
        {
            // A FIFO or a device is refused at once, never read: it would block or never end.
            var handle = IO.RegularFile.Open(path, long.MaxValue, out fileLength);
            stream = new FileStream(handle, FileAccess.Read, 1 << 16);
        }
        catch (IO.RegularFileException e)
        {
            throw new InvalidDataException($"not a readable regular file: {e.Detail}", e);
        }

        try
        {
            var header = NpyHeader.Read(stream, fileLength);
            var itemSize = header.Descr switch
            {
                "<f4" => 4,
                "<f8" => 8,
                _ => throw new InvalidDataException($"unsupported dtype '{header.Descr}' (expected little-endian float32 '<f4' or float64 '<f8')"),
            };
            var shape = header.Shape;
            if (header.FortranOrder && shape.Count(d => d != 1) > 1)
            {
                throw new InvalidDataException("Fortran-order arrays are not supported; save with C order");
            }

            (var rows, var columns) = shape.Length switch
            {
                1 => (1L, shape[0]),
                2 => (shape[0], shape[1]),
                _ => throw new InvalidDataException($"expected a 2-D array [N, D], found {shape.Length} dimensions"),
            };
            if (columns is < 1 or > MaxColumns)
            {
                throw new InvalidDataException($"a latent of {columns} values (expected 1 to {MaxColumns})");
            }

            // rows * rowBytes is never computed before it is known to fit in the file: a shape may claim anything.
            var available = fileLength - stream.Position;
            var rowBytes = columns * itemSize;
            if (rows > available / rowBytes)
            {
                throw new InvalidDataException($"truncated or bad shape: {rows}x{columns} values of {itemSize} bytes need more than the {available} bytes the file has after its header");
            }

            if (available != rows * rowBytes)
            {
                throw new InvalidDataException($"the file has {available - (rows * rowBytes)} bytes after the {rows}x{columns} values its shape claims (another shape, or two files joined)");
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
        _stream.ReadExactly(_rowBuffer);
        for (var c = 0; c < Columns; c++)
        {
            destination[c] = _itemSize == 4
                ? BinaryPrimitives.ReadSingleLittleEndian(_rowBuffer.AsSpan(c * 4))
                : (float)BinaryPrimitives.ReadDoubleLittleEndian(_rowBuffer.AsSpan(c * 8));
        }
    }

    public void Dispose() => _stream.Dispose();
}
