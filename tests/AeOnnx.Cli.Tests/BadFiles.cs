using System.Buffers.Binary;
using System.Text;

namespace AeOnnx.Cli.Tests;

/// <summary>Planted bad inputs: each kind the CLI must skip, report, and get past.</summary>
internal static class BadFiles
{
    /// <summary>File name → a word the index reason must contain.</summary>
    public static IReadOnlyDictionary<string, string> Plant(string folder, string sampleToTruncate)
    {
        File.WriteAllText(Path.Combine(folder, "zz-text.png"), "this is a text file, not a picture\n");
        File.WriteAllBytes(Path.Combine(folder, "zz-empty.jpg"), []);
        var png = File.ReadAllBytes(sampleToTruncate);
        File.WriteAllBytes(Path.Combine(folder, "zz-truncated.png"), png[..(png.Length / 2)]);
        var corrupt = (byte[])png.Clone();
        for (var i = 40; i < corrupt.Length - 12; i++)
        {
            corrupt[i] ^= 0x5A; // the IDAT data no longer inflates
        }

        File.WriteAllBytes(Path.Combine(folder, "zz-corrupt.png"), corrupt);
        File.WriteAllBytes(Path.Combine(folder, "zz-huge.png"), HugePngHeader(20000, 20000));
        var planted = new Dictionary<string, string>
        {
            ["zz-text.png"] = "unsupported",
            ["zz-empty.jpg"] = "empty",
            ["zz-truncated.png"] = string.Empty,
            ["zz-corrupt.png"] = string.Empty,
            ["zz-huge.png"] = "too large",
        };

        // A named pipe would block the reader forever if it were opened: it must be skipped, not waited on.
        if (!OperatingSystem.IsWindows() && MakeFifo(Path.Combine(folder, "zz-pipe.png"), Convert.ToUInt32("644", 8)) == 0)
        {
            planted["zz-pipe.png"] = "not a regular file";
        }

        return planted;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    internal static extern int MakeFifo([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, uint mode);

    /// <summary>A PNG whose (valid) header claims width × height pixels, followed by no real image data.</summary>
    public static byte[] HugePngHeader(int width, int height)
    {
        var bytes = new List<byte>([0x89, .. "PNG"u8, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth; color type 0 (gray), compression, filter, interlace 0
        AddChunk(bytes, "IHDR", ihdr);
        AddChunk(bytes, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        AddChunk(bytes, "IEND", []);
        return [.. bytes];
    }

    private static void AddChunk(List<byte> output, string type, byte[] data)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        output.AddRange(header);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        output.AddRange(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(header, Crc32(typeAndData));
        output.AddRange(header);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
