using System.Globalization;
using System.Text;

namespace AeOnnx.Cli.Output;

/// <summary>Latents as CSV, one line per encoded image: <c>path,z0,z1,...</c>; also read by <c>decode</c>.</summary>
internal static class LatentCsv
{
    /// <summary>Writes the CSV from a finished .npy and its index (rows of ok entries, in order).</summary>
    public static void Write(string csvPath, string npyPath, IReadOnlyList<IndexEntry> entries)
    {
        using NpyReader reader = NpyReader.Open(npyPath);
        var row = new float[reader.Columns];
        AtomicFile.Write(csvPath, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            writer.Write("path");
            for (int c = 0; c < reader.Columns; c++)
            {
                writer.Write(string.Create(CultureInfo.InvariantCulture, $",z{c}"));
            }

            writer.WriteLine();
            foreach (IndexEntry entry in entries.Where(e => e.IsOk))
            {
                reader.ReadRow(row);
                writer.Write(IndexCsv.Quote(entry.Path));
                foreach (float value in row)
                {
                    writer.Write(',');
                    writer.Write(value.ToString("R", CultureInfo.InvariantCulture));
                }

                writer.WriteLine();
            }
        });
    }

    /// <summary>
    /// Reads latent vectors from a CSV: numeric columns are the vector, a non-numeric first column is a
    /// name, a first line with non-numeric cells is a header.
    /// </summary>
    public static List<(string? Name, float[] Vector)> Read(string path)
    {
        var result = new List<(string?, float[])>();
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] cells = line.Split(',');
            string? name = null;
            int start = 0;
            if (!IsNumber(cells[0]))
            {
                name = cells[0].Trim().Trim('"');
                start = 1;
            }

            if (cells.Skip(start).Any(c => !IsNumber(c)))
            {
                if (result.Count == 0 && lineNumber == 1)
                {
                    continue; // header
                }

                throw new InvalidDataException($"{path}:{lineNumber}: not a list of numbers");
            }

            result.Add((name, cells.Skip(start).Select(c => float.Parse(c, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray()));
        }

        return result;
    }

    /// <summary>Parses "0.1,0.2,..." (commas or spaces) as one vector.</summary>
    public static float[] ParseVector(string text)
    {
        string[] cells = text.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (cells.Length == 0 || cells.Any(c => !IsNumber(c)))
        {
            throw CliException.Usage($"--latent expects comma-separated numbers, got '{text}'.");
        }

        return cells.Select(c => float.Parse(c, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
    }

    private static bool IsNumber(string cell) =>
        float.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
