using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace AeOnnx.IO;

/// <summary>
/// The one .npy writer: NumPy format 1.0 for 2-D float32 arrays, C order, little-endian <c>&lt;f4</c>, the
/// header padded with spaces to a multiple of 64 bytes as NumPy pads it, so the bytes are identical to
/// <c>numpy.save(path, array.astype('&lt;f4'))</c>. The CLI's latent files and the service's
/// <c>application/x-npy</c> answers are written here.
/// </summary>
internal static class NpyWriter
{
    /// <summary>The magic string every .npy file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The header of a [rows, columns] float32 array (a multiple of 64 bytes).</summary>
    public static byte[] Header(long rows, int columns)
    {
        var dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        var unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        var padding = (64 - (unpadded % 64)) % 64;
        var text = dict + new string(' ', padding) + "\n";
        var header = new byte[Magic.Length + 4 + text.Length];
        Magic.CopyTo(header);
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), checked((ushort)text.Length));
        Encoding.ASCII.GetBytes(text, header.AsSpan(10));
        return header;
    }

    /// <summary>Appends float32 values little-endian (the .npy data layout) to a stream.</summary>
    public static void WriteValues(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        Span<byte> buffer = stackalloc byte[4];
        foreach (var value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
            stream.Write(buffer);
        }
    }

    /// <summary>Writes a whole [rows, columns] array: header, then the values.</summary>
    public static void Write(Stream stream, ReadOnlySpan<float> values, int columns)
    {
        if (columns <= 0 || values.Length % columns != 0)
        {
            throw new ArgumentException("values must be a whole number of rows", nameof(values));
        }

        stream.Write(Header(values.Length / columns, columns));
        WriteValues(stream, values);
    }

    /// <summary>A whole [rows.Count, columns] array as bytes (rows of exactly <paramref name="columns"/> values).</summary>
    public static byte[] ToBytes(IReadOnlyList<float[]> rows, int columns)
    {
        var header = Header(rows.Count, columns);
        var bytes = new byte[header.Length + ((long)rows.Count * columns * sizeof(float))];
        header.CopyTo(bytes, 0);
        using var stream = new MemoryStream(bytes, header.Length, bytes.Length - header.Length);
        foreach (var row in rows)
        {
            if (row.Length != columns)
            {
                throw new ArgumentException($"every row must have {columns} values, got {row.Length}", nameof(rows));
            }

            WriteValues(stream, row);
        }

        return bytes;
    }
}
