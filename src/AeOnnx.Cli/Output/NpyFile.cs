using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AeOnnx.Cli.Output;

/// <summary>
/// NumPy <c>.npy</c> format version 1.0 for 2-D float32 arrays: C order, little-endian <c>&lt;f4</c>,
/// header padded with spaces to a multiple of 64 bytes as NumPy writes it, so the files are byte-identical
/// to <c>numpy.save(path, array.astype('&lt;f4'))</c>.
/// </summary>
internal static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static byte[] Header(long rows, int columns)
    {
        string dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        int unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        int padding = (64 - (unpadded % 64)) % 64;
        string text = dict + new string(' ', padding) + "\n";
        var header = new byte[Magic.Length + 4 + text.Length];
        Magic.CopyTo(header, 0);
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), checked((ushort)text.Length));
        Encoding.ASCII.GetBytes(text, header.AsSpan(10));
        return header;
    }

    /// <summary>Appends float32 values little-endian (the .npy data layout) to a stream.</summary>
    public static void WriteValues(Stream stream, ReadOnlySpan<float> values)
    {
        Span<byte> buffer = stackalloc byte[4];
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
            return;
        }

        foreach (float value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
            stream.Write(buffer);
        }
    }

    /// <summary>Writes a whole [rows, columns] array.</summary>
    public static void Write(Stream stream, ReadOnlySpan<float> values, int columns)
    {
        if (columns <= 0 || values.Length % columns != 0)
        {
            throw new ArgumentException("values must be a whole number of rows", nameof(values));
        }

        stream.Write(Header(values.Length / columns, columns));
        WriteValues(stream, values);
    }

    /// <summary>Reads an entire .npy file as [rows, columns] float32 (1-D arrays read as one row).</summary>
    public static float[,] ReadAll(string path)
    {
        using var reader = NpyReader.Open(path);
        var result = new float[reader.Rows, reader.Columns];
        var row = new float[reader.Columns];
        for (int r = 0; r < reader.Rows; r++)
        {
            reader.ReadRow(row);
            for (int c = 0; c < row.Length; c++)
            {
                result[r, c] = row[c];
            }
        }

        return result;
    }

    internal static (string Descr, bool Fortran, long[] Shape) ParseHeader(string header)
    {
        var descr = DescrRegex().Match(header);
        var fortran = FortranRegex().Match(header);
        var shape = ShapeRegex().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
        {
            throw new InvalidDataException($"not a NumPy header: {Shorten(header.Trim())}");
        }

        string[] cells = shape.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries);
        if (cells.Length > 1 && cells[^1].Length == 0)
        {
            cells = cells[..^1]; // the trailing comma of "(3,)"
        }

        var dims = new long[cells.Length == 1 && cells[0].Length == 0 ? 0 : cells.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            // Plain non-negative decimal integers only: "-1", "3L" (Python 2), "1e3" are not NumPy shapes.
            if (cells[i].Length == 0 || !cells[i].All(char.IsAsciiDigit)
                || !long.TryParse(cells[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]))
            {
                throw new InvalidDataException($"shape ({Shorten(shape.Groups[1].Value.Trim())}): dimension '{Shorten(cells[i])}' is not a non-negative 64-bit integer");
            }
        }

        return (descr.Groups[1].Value, fortran.Groups[1].Value == "True", dims);
    }

    internal static ReadOnlySpan<byte> MagicBytes => Magic;

    private static string Shorten(string text) => text.Length > 24 ? text[..24] + "..." : text;

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
