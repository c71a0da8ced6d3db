using System.Globalization;
using System.Text;

namespace AeOnnx.Cli.Output;

/// <summary>Latents as CSV, one line per encoded image: <c>path,z0,z1,...</c>; also read by <c>decode</c>.</summary>
internal static class LatentCsv
{
    /// <summary>Writes the CSV from a finished .npy and its index (rows of ok entries, in order).</summary>
    public static void Write(string csvPath, string npyPath, IReadOnlyList<IndexEntry> entries)
    {
        using var reader = NpyReader.Open(npyPath);
        string[] header = ["path", .. Enumerable.Range(0, reader.Columns).Select(c => string.Create(CultureInfo.InvariantCulture, $"z{c}"))];
        CsvText.WriteFile(csvPath, header, Rows(reader, entries));
    }

    /// <summary>
    /// Reads latent vectors from an RFC 4180 CSV: numeric columns are the vector, a non-numeric first
    /// column is a name (kept byte-exact, commas and line breaks included), a first record with
    /// non-numeric cells is a header. An empty cell is an error, never dropped.
    /// </summary>
    public static List<(string? Name, float[] Vector)> Read(string path)
    {
        var result = new List<(string?, float[])>();
        var recordNumber = 0;
        using var text = new StreamReader(path, new UTF8Encoding(false));
        foreach (var cells in CsvText.Records(text))
        {
            recordNumber++;
            if (cells.Length == 0 || (cells.Length == 1 && cells[0].Trim().Length == 0) || cells[0].StartsWith('#'))
            {
                continue;
            }

            string? name = null;
            var start = 0;
            if (!IsNumber(cells[0]))
            {
                name = cells[0];
                start = 1;
            }

            if (cells.Length == start || cells.Skip(start).Any(c => !IsNumber(c)))
            {
                if (result.Count == 0 && recordNumber == 1)
                {
                    continue; // header
                }

                var bad = cells.Length == start ? start : Array.FindIndex(cells, start, c => !IsNumber(c));
                throw new InvalidDataException(bad < cells.Length
                    ? $"{path}: record {recordNumber}, column {bad + 1}: '{cells[bad]}' is not a number"
                    : $"{path}: record {recordNumber} has no numbers");
            }

            result.Add((name, cells.Skip(start).Select(Parse).ToArray()));
        }

        return result;
    }

    /// <summary>Parses "0.1,0.2,..." (or values separated by spaces) as one vector; an empty value is refused.</summary>
    public static float[] ParseVector(string text)
    {
        var cells = text.Contains(',') || text.Contains(';')
            ? text.Split([',', ';']).Select(c => c.Trim()).ToArray()
            : text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var bad = Array.FindIndex(cells, c => !IsNumber(c));
        if (cells.Length == 0 || bad >= 0)
        {
            var what = cells.Length == 0 ? "no values" : cells[bad].Length == 0 ? $"value {bad + 1} is empty" : $"value {bad + 1} '{cells[bad]}' is not a number";
            throw CliException.Usage($"--latent expects comma-separated numbers, got '{text}' ({what}).");
        }

        return cells.Select(Parse).ToArray();
    }

    private static IEnumerable<IReadOnlyList<string>> Rows(NpyReader reader, IReadOnlyList<IndexEntry> entries)
    {
        var row = new float[reader.Columns];
        foreach (var entry in entries.Where(e => e.IsOk))
        {
            reader.ReadRow(row);
            yield return [entry.Path, .. row.Select(v => v.ToString("R", CultureInfo.InvariantCulture))];
        }
    }

    private static float Parse(string cell) => float.Parse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static bool IsNumber(string cell) =>
        cell.Trim().Length > 0 && float.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
