using System.Globalization;
using System.Text;
using AeOnnx.IO;

namespace AeOnnx.Cli.Output;

/// <summary>
/// The index CSV written next to every batch output: <c>row,path,status,reason</c> (encode, merge), or
/// <c>row,path,status,reason,mse,psnr,file</c> (reconstruct: <c>file</c> is the PNG written for the input, so
/// inputs whose names collide, <c>a/x.png</c> and <c>b/x.png</c> → <c>x.png</c>, <c>x-2.png</c>, can be told
/// apart), one line per input in input order (RFC 4180 through <see cref="CsvText"/>, '\n' line ends, invariant culture); a file
/// name is kept byte-exact, line breaks and commas included.
/// </summary>
internal static class IndexCsv
{
    public static string HeaderLine(bool withErrors) => withErrors ? "row,path,status,reason,mse,psnr,file" : "row,path,status,reason";

    /// <summary>One index record without its line end (RFC 4180 quoting through <see cref="CsvText"/>).</summary>
    public static string Format(IndexEntry entry, bool withErrors)
    {
        var record = CsvText.Record(Fields(entry, withErrors));
        return record[..^1];
    }

    public static IEnumerable<string> Fields(IndexEntry entry, bool withErrors)
    {
        yield return entry.Row?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;
        yield return entry.Path;
        yield return entry.Status;
        yield return OneLine(entry.Reason);
        if (withErrors)
        {
            yield return FormatNumber(entry.Mse);
            yield return FormatNumber(entry.Psnr);
            yield return entry.File ?? string.Empty;
        }
    }

    /// <summary>Parses one record's text (see <see cref="Parse"/>).</summary>
    public static IndexEntry ParseLine(string line)
    {
        var records = CsvText.Records(new StringReader(line)).ToList();
        if (records.Count != 1)
        {
            throw new InvalidDataException($"expected one index record, found {records.Count}");
        }

        return Parse(records[0]);
    }

    /// <summary>
    /// Checks and converts one index record: 4 or 7 fields, a known status, a row number exactly for
    /// done inputs, numbers where numbers belong, an output file name (no folder) exactly for done inputs of a 7-field record.
    /// </summary>
    /// <exception cref="InvalidDataException">The record is not an index line aeonnx writes.</exception>
    public static IndexEntry Parse(string[] f)
    {
        if (f.Length is not (4 or 7))
        {
            throw new InvalidDataException($"an index record has {f.Length} fields, expected 4 or 7");
        }

        if (f[2] is not (IndexEntry.Ok or IndexEntry.Skipped))
        {
            throw new InvalidDataException($"unknown status '{Shorten(f[2])}' (expected ok or skipped)");
        }

        long? row = null;
        if (f[0].Length > 0)
        {
            if (!long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new InvalidDataException($"row '{Shorten(f[0])}' is not a row number");
            }

            row = parsed;
        }

        if ((f[2] == IndexEntry.Ok) != row.HasValue)
        {
            throw new InvalidDataException(row.HasValue ? "a skipped input has a row number" : "a done input has no row number");
        }

        if (f.Length == 4)
        {
            return new IndexEntry(row, f[1], f[2], f[3]);
        }

        if ((f[2] == IndexEntry.Ok) != (f[6].Length > 0))
        {
            throw new InvalidDataException(f[6].Length == 0 ? "a done input has no output file" : "a skipped input has an output file");
        }

        // The file is joined to the output folder by whoever reads it back (the comparison grid): a bare name only.
        if (f[6].Length > 0 && (f[6] != Path.GetFileName(f[6]) || f[6] is "." or ".."))
        {
            throw new InvalidDataException($"output file '{Shorten(f[6])}' is not a name in the output folder");
        }

        return new IndexEntry(row, f[1], f[2], f[3], ParseNumber(f[4]), ParseNumber(f[5]), f[6].Length == 0 ? null : f[6]);
    }

    public static string Render(IEnumerable<IndexEntry> entries, bool withErrors)
    {
        var sb = new StringBuilder();
        sb.Append(HeaderLine(withErrors)).Append('\n');
        foreach (var entry in entries)
        {
            sb.Append(Format(entry, withErrors)).Append('\n');
        }

        return sb.ToString();
    }

    public static void Write(string path, IEnumerable<IndexEntry> entries, bool withErrors) =>
        AtomicFile.WriteAllText(path, Render(entries, withErrors));

    public static (bool WithErrors, List<IndexEntry> Entries) Read(string path)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false));
        using var records = CsvText.Records(reader).GetEnumerator();
        if (!records.MoveNext() || string.Join(',', records.Current) is not ("row,path,status,reason" or "row,path,status,reason,mse,psnr,file"))
        {
            throw new InvalidDataException($"'{path}' is not an aeonnx index (no 'row,path,status,reason' header)");
        }

        var withErrors = records.Current.Length == 7;
        var entries = new List<IndexEntry>();
        while (records.MoveNext())
        {
            try
            {
                entries.Add(Parse(records.Current));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"'{path}' record {entries.Count + 1}: {e.Message}", e);
            }
        }

        return (withErrors, entries);
    }

    public static string FormatNumber(double? value) => value switch
    {
        null => string.Empty,
        double.PositiveInfinity => "inf",
        double v => v.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>One field quoted as RFC 4180 wants it (for lines built by hand, e.g. the outliers report).</summary>
    public static string Quote(string field) => CsvText.Record([field])[..^1];

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static double? ParseNumber(string text) => text switch
    {
        "" => null,
        "inf" => double.PositiveInfinity,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => value,
        _ => throw new InvalidDataException($"'{Shorten(text)}' is not a number"),
    };

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
