using System.Buffers.Binary;
using System.Text;

namespace AeOnnx.Server.Endpoints;

/// <summary>Writes an N×D float32 matrix as a NumPy .npy file (format 1.0, little-endian, C order).</summary>
internal static class NpyWriter
{
    public static byte[] Write(IReadOnlyList<float[]> rows, int columns)
    {
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows.Count}, {columns}), }}";

        // The magic, version and length take 10 bytes; the header ends in '\n' and is padded so data starts on a 64-byte boundary.
        var total = 10 + header.Length + 1;
        var padded = (total + 63) / 64 * 64;
        header = header.PadRight(padded - 10 - 1) + "\n";
        var bytes = new byte[padded + (rows.Count * columns * 4)];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", bytes.AsSpan(1));
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(10));
        var offset = padded;
        foreach (var row in rows)
        {
            foreach (var value in row)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(offset), value);
                offset += 4;
            }
        }

        return bytes;
    }
}
