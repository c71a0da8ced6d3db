using AeOnnx.IO;

namespace AeOnnx.Tests.IO;

public sealed class NpyWriterTests
{
    [Fact]
    public void Rows_as_bytes_equal_the_streamed_file()
    {
        float[][] rows = [[1.5f, -2f, float.Epsilon], [3.25e7f, 0f, -0.125f]];
        using var stream = new MemoryStream();
        NpyWriter.Write(stream, rows.SelectMany(r => r).ToArray(), columns: 3);
        var bytes = NpyWriter.ToBytes(rows, 3);
        Assert.Equal(stream.ToArray(), bytes);
        Assert.Equal(128 + (6 * 4), bytes.Length);
        Assert.Equal("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", System.Text.Encoding.ASCII.GetString(bytes, 10, 59));
        Assert.Equal(-0.125f, BitConverter.ToSingle(bytes, 128 + 20));
    }

    [Fact]
    public void A_ragged_row_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => NpyWriter.ToBytes([[1f, 2f], [3f]], 2));
        Assert.StartsWith("every row must have 2 values, got 1", error.Message, StringComparison.Ordinal);
    }
}
