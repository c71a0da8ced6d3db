using System.Text;
using AeOnnx.Cli.Output;
using AeOnnx.IO;

namespace AeOnnx.Cli.Tests.Output;

public sealed class NpyFileTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Header_is_byte_identical_to_numpy_save()
    {
        // numpy.save(b, numpy.arange(12, dtype='<f4').reshape(3, 4)): 10 + 118 header bytes.
        string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
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
        string path = temp["a.npy"];
        using (var stream = File.Create(path))
        {
            NpyWriter.Write(stream, values, columns: 3);
        }

        Assert.Equal(128 + (6 * 4), new FileInfo(path).Length);
        float[,] read = NpyFile.ReadAll(path);
        Assert.Equal(2, read.GetLength(0));
        Assert.Equal(3, read.GetLength(1));
        Assert.Equal(values, read.Cast<float>());
    }

    [Fact]
    public void Reader_refuses_truncated_and_foreign_files()
    {
        string path = temp["t.npy"];
        using (var stream = File.Create(path))
        {
            NpyWriter.Write(stream, new float[8], columns: 4);
        }

        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        Assert.Throws<InvalidDataException>(() => NpyReader.Open(path).Dispose());
        File.WriteAllText(path, "not numpy at all");
        Assert.Throws<InvalidDataException>(() => NpyReader.Open(path).Dispose());
    }

    [Fact]
    public void Reader_accepts_float64_and_converts()
    {
        string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
        string header = dict + new string(' ', 118 - dict.Length - 1) + "\n";
        byte[] bytes = [0x93, .. "NUMPY"u8, 1, 0, 118, 0, .. Encoding.ASCII.GetBytes(header), .. BitConverter.GetBytes(0.5), .. BitConverter.GetBytes(-4.0)];
        string path = temp["d.npy"];
        File.WriteAllBytes(path, bytes);
        float[,] read = NpyFile.ReadAll(path);
        Assert.Equal([0.5f, -4f], read.Cast<float>());
    }
}
