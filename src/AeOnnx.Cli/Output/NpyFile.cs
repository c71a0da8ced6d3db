namespace AeOnnx.Cli.Output;

/// <summary>
/// Reading NumPy <c>.npy</c> files whole (the header rules are <see cref="NpyHeader"/>, row by row reads <see cref="NpyReader"/>). Writing is
/// the core's one writer, <see cref="IO.NpyWriter"/>.
/// </summary>
internal static class NpyFile
{
    /// <summary>Reads an entire .npy file as [rows, columns] float32 (1-D arrays read as one row).</summary>
    public static float[,] ReadAll(string path)
    {
        using var reader = NpyReader.Open(path);
        var result = new float[reader.Rows, reader.Columns];
        var row = new float[reader.Columns];
        for (var r = 0; r < reader.Rows; r++)
        {
            reader.ReadRow(row);
            for (var c = 0; c < row.Length; c++)
            {
                result[r, c] = row[c];
            }
        }

        return result;
    }

    internal static ReadOnlySpan<byte> MagicBytes => IO.NpyWriter.Magic;
}
