using System.Globalization;
using System.Text;

namespace AeOnnx.Cli.Output;

/// <summary>
/// The index CSV written next to every batch output: <c>row,path,status,reason[,mse,psnr]</c>, one line per
/// input in input order (RFC 4180 quoting, '\n' line ends, invariant culture).
/// </summary>
internal static class IndexCsv
{
    public static string HeaderLine(bool withErrors) => withErrors ? "row,path,status,reason,mse,psnr" : "row,path,status,reason";

    public static string Format(IndexEntry entry, bool withErrors)
    {
        var sb = new StringBuilder();
        sb.Append(entry.Row?.ToString(CultureInfo.InvariantCulture) ?? string.Empty).Append(',');
        sb.Append(Quote(entry.Path)).Append(',');
        sb.Append(entry.Status).Append(',');
        sb.Append(Quote(OneLine(entry.Reason)));
        if (withErrors)
        {
            sb.Append(',').Append(FormatNumber(entry.Mse)).Append(',').Append(FormatNumber(entry.Psnr));
        }

        return sb.ToString();
    }

    public static IndexEntry ParseLine(string line)
    {
        List<string> f = SplitLine(line);
        if (f.Count is not (4 or 6))
        {
            throw new InvalidDataException($"index line has {f.Count} fields, expected 4 or 6: {line}");
        }

        long? row = f[0].Length == 0 ? null : long.Parse(f[0], NumberStyles.None, CultureInfo.InvariantCulture);
        return f.Count == 6
            ? new IndexEntry(row, f[1], f[2], f[3], ParseNumber(f[4]), ParseNumber(f[5]))
            : new IndexEntry(row, f[1], f[2], f[3]);
    }

    public static string Render(IEnumerable<IndexEntry> entries, bool withErrors)
    {
        var sb = new StringBuilder();
        sb.Append(HeaderLine(withErrors)).Append('\n');
        foreach (IndexEntry entry in entries)
        {
            sb.Append(Format(entry, withErrors)).Append('\n');
        }

        return sb.ToString();
    }

    public static void Write(string path, IEnumerable<IndexEntry> entries, bool withErrors) =>
        AtomicFile.WriteAllText(path, Render(entries, withErrors));

    public static (bool WithErrors, List<IndexEntry> Entries) Read(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || !lines[0].StartsWith("row,path,status,reason", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}' is not an aeonnx index (no 'row,path,status,reason' header)");
        }

        bool withErrors = lines[0] == HeaderLine(true);
        return (withErrors, lines.Skip(1).Where(l => l.Length > 0).Select(ParseLine).ToList());
    }

    public static string FormatNumber(double? value) => value switch
    {
        null => string.Empty,
        double.PositiveInfinity => "inf",
        double v => v.ToString("R", CultureInfo.InvariantCulture),
    };

    public static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 || (field.Length > 0 && (field[0] == ' ' || field[^1] == ' '))
            ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : field;

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static double? ParseNumber(string text) => text switch
    {
        "" => null,
        "inf" => double.PositiveInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static List<string> SplitLine(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString());
        return fields;
    }
}
