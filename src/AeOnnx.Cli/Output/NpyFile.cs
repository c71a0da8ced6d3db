using System.Globalization;
using System.Text.RegularExpressions;

namespace AeOnnx.Cli.Output;

/// <summary>
/// Reading NumPy <c>.npy</c> files (format 1.0): the header parser and whole-file reads. Writing is
/// the core's one writer, <see cref="IO.NpyWriter"/>.
/// </summary>
internal static partial class NpyFile
{
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

    internal static ReadOnlySpan<byte> MagicBytes => IO.NpyWriter.Magic;

    private static string Shorten(string text) => text.Length > 24 ? text[..24] + "..." : text;

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
