using System.Buffers.Binary;
using System.Text;
using AeOnnx.Cli.Output;
using AeOnnx.IO;

namespace AeOnnx.Cli.Tests.Output;

public sealed class NpyFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Header_is_byte_identical_to_numpy_save()
    {
        // numpy.save(b, numpy.arange(12, dtype='<f4').reshape(3, 4)): 10 + 118 header bytes.
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
        byte[] expected = [0x93, .. "NUMPY"u8, 1, 0, 118, 0, .. Encoding.ASCII.GetBytes(dict + new string(' ', 118 - dict.Length - 1) + "\n")];
        Assert.Equal(expected, NpyWriter.Header(3, 4));
    }

    [Theory]
    [InlineData(0, 32)]
    [InlineData(1, 1)]
    [InlineData(12345, 64)]
    public void Header_length_is_a_multiple_of_64(long rows, int columns) =>
        Assert.Equal(0, NpyWriter.Header(rows, columns).Length % 64);

    [Fact]
    public void Write_then_read_round_trips_values()
    {
        float[] values = [1.5f, -2f, float.Epsilon, 3.25e7f, 0f, -0.125f];
        var path = _temp["a.npy"];
        using (var stream = File.Create(path))
        {
            NpyWriter.Write(stream, values, columns: 3);
        }

        Assert.Equal(128 + (6 * 4), new FileInfo(path).Length);
        var read = NpyFile.ReadAll(path);
        Assert.Equal(2, read.GetLength(0));
        Assert.Equal(3, read.GetLength(1));
        Assert.Equal(values, read.Cast<float>());
    }

    [Fact]
    public void Reader_refuses_truncated_and_foreign_files()
    {
        var path = _temp["t.npy"];
        using (var stream = File.Create(path))
        {
            NpyWriter.Write(stream, new float[8], columns: 4);
        }

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        Assert.Throws<InvalidDataException>(() => NpyReader.Open(path).Dispose());
        File.WriteAllText(path, "not numpy at all");
        Assert.Throws<InvalidDataException>(() => NpyReader.Open(path).Dispose());
    }

    [Fact]
    public void Reader_accepts_float64_and_converts()
    {
        var dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
        var header = dict + new string(' ', 118 - dict.Length - 1) + "\n";
        byte[] bytes = [0x93, .. "NUMPY"u8, 1, 0, 118, 0, .. Encoding.ASCII.GetBytes(header), .. BitConverter.GetBytes(0.5), .. BitConverter.GetBytes(-4.0)];
        var path = _temp["d.npy"];
        File.WriteAllBytes(path, bytes);
        var read = NpyFile.ReadAll(path);
        Assert.Equal([0.5f, -4f], read.Cast<float>());
    }

    /// <summary>
    /// Header text → bytes of a version <paramref name="major"/> file, padded so the data starts on an
    /// <paramref name="align"/>-byte boundary (0: no padding), then <paramref name="dataBytes"/> zero bytes.
    /// </summary>
    private static byte[] Npy(string dict, int dataBytes, int major = 1, int minor = 0, int align = 64, string end = "\n")
    {
        var prefix = major == 1 ? 10 : 12;
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(dict);
        var padding = align == 0 ? 0 : (align - ((prefix + text.Length + end.Length) % align)) % align;
        byte[] header = [.. text, .. Enumerable.Repeat((byte)' ', padding), .. Encoding.ASCII.GetBytes(end)];
        var bytes = new byte[prefix + header.Length + dataBytes];
        NpyFile.MagicBytes.CopyTo(bytes);
        bytes[6] = (byte)major;
        bytes[7] = (byte)minor;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)header.Length);
        }

        header.CopyTo(bytes, prefix);
        return bytes;
    }

    private const string Good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

    /// <summary>Files NumPy reads one way and a lax parser another, or that no NumPy writer makes: each refused with its reason.</summary>
    public static TheoryData<string, byte[], string> OffRuleFiles() => new()
    {
        // NumPy's literal_eval takes the last 'shape' (3, 2); the old regex took the first (2, 3).
        { "a repeated key", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (3, 2), }", 24), "the key 'shape' appears twice" },
        { "an extra key", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1, }", 24), "an unknown key 'x'" },
        { "a missing key", Npy("{'descr': '<f4', 'shape': (2, 3), }", 24), "the keys are [descr, shape]" },
        { "a key inside a string", Npy("{'descr': '<f4', 'fortran_order': False, 'x': \"'shape': (2, 3)\", }", 24), "an unknown key 'x'" },
        { "an integer, not a tuple", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", 24), "is not a tuple" },
        { "a leading zero", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (02, 3), }", 24), "dimension '02' is not a non-negative 64-bit integer" },
        { "fortran_order not a bool", Npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", 24), "fortran_order is not True or False" },
        { "a structured dtype", Npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }", 24), "a structured dtype" },
        { "big-endian floats", Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24), "unsupported dtype '>f4'" },
        { "text after the dict", Npy(Good + " + 1", 24), "text after the dict" },
        { "version 1.1", Npy(Good, 24, minor: 1), "unsupported .npy version 1.1" },
        { "version 4.0", Npy(Good, 24, major: 4), "unsupported .npy version 4.0" },
        { "no newline at the end", Npy(Good, 24, end: " "), "does not end with a newline" },
        { "data off the 16-byte grid", Npy(Good, 24, align: 0), "not on a 16-byte boundary" },
        { "a header over NumPy's 10,000 bytes", Npy(Good + new string(' ', 10_100), 24), "at most 10000" },
        { "one value too few", Npy(Good, 20), "need more than the 20 bytes" },
        { "4 bytes after the data", Npy(Good, 28), "the file has 4 bytes after the 2x3 values" },
        { "2^62 rows of 4 columns (bytes overflow a long)", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", 16), "need more than the 16 bytes" },
        { "3-D", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", 24), "found 3 dimensions" },
        { "a version 3.0 header that is not UTF-8", [.. Npy(Good, 0, major: 3)[..14], 0xFF, .. Npy(Good, 0, major: 3)[15..], .. new byte[24]], "not UTF-8" },
    };

    [Theory]
    [MemberData(nameof(OffRuleFiles))]
    public void Files_off_NumPys_rules_are_refused_with_the_reason(string what, byte[] bytes, string reason)
    {
        var path = _temp.Write(what.Replace(' ', '-').Replace(',', '-') + ".npy", bytes);
        var error = Assert.Throws<InvalidDataException>(() => NpyReader.Open(path).Dispose());
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    /// <summary>What NumPy writes: 1.0 padded to 64 (NumPy 1.14 on) or 16 (before), 2.0, 3.0 (UTF-8), 1-D, Fortran order of one row.</summary>
    public static TheoryData<string, byte[], int, int> NumPyFiles() => new()
    {
        { "1.0, 64-byte padding", Npy(Good, 24), 2, 3 },
        { "1.0, 16-byte padding (NumPy before 1.14)", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ", 24, align: 16), 2, 3 },
        { "2.0", Npy(Good, 24, major: 2), 2, 3 },
        { "3.0", Npy(Good, 24, major: 3), 2, 3 },
        { "1-D", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 24), 1, 6 },
        { "Fortran order, one row", Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 6), }", 24), 1, 6 },
        { "keys in another order, double quotes", Npy("{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"<f4\"}", 24), 2, 3 },
    };

    [Theory]
    [MemberData(nameof(NumPyFiles))]
    public void Files_by_NumPys_rules_are_read(string what, byte[] bytes, int rows, int columns)
    {
        var path = _temp.Write(what.Replace(' ', '-').Replace(',', '-') + ".npy", bytes);
        using var reader = NpyReader.Open(path);
        Assert.Equal(rows, reader.Rows);
        Assert.Equal(columns, reader.Columns);
    }

    [Fact]
    public void A_fifo_is_refused_without_reading_it()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // no FIFOs
        }

        // Both ends held open here (read-write does not wait), with a whole .npy waiting in the pipe:
        // before, the reader opened it and failed on its length (or, with no writer, waited for ever).
        var path = _temp["pipe.npy"];
        Assert.Equal(0, BadFiles.MakeFifo(path, Convert.ToUInt32("644", 8)));
        using var pipe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        pipe.Write(Npy(Good, 24));
        var error = Assert.Throws<InvalidDataException>(() => NpyReader.Open(path).Dispose());
        Assert.Contains("not a readable regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_writer_follows_the_same_rules_as_the_reader()
    {
        foreach (var rows in new long[] { 0, 1, 3, 99_999, long.MaxValue / 4 })
        {
            var header = NpyWriter.Header(rows, 16);
            using var stream = new MemoryStream(header);
            var parsed = NpyHeader.Read(stream, long.MaxValue);
            Assert.Equal("<f4", parsed.Descr);
            Assert.False(parsed.FortranOrder);
            Assert.Equal([rows, 16L], parsed.Shape);
            Assert.Equal(header.Length, stream.Position);
            Assert.Equal(0, header.Length % 64);
            Assert.Equal((byte)1, header[6]); // version 1.0: the header fits a 2-byte length
        }
    }
}
