using System.Globalization;
using System.Text;
using AeOnnx.IO;
using CsvHelper;
using CsvHelper.Configuration;

namespace AeOnnx.Cli.Output;

/// <summary>
/// RFC 4180 reading and writing for every CSV aeonnx writes or reads (index, journal, CSV latents,
/// reports), through CsvHelper: fields with commas, quotes, line breaks or edge spaces are quoted, and
/// read back byte-exact, so a file name with a newline or a comma survives every step.
/// </summary>
internal static class CsvText
{
    private static readonly CsvConfiguration Config = new(CultureInfo.InvariantCulture)
    {
        HasHeaderRecord = false,
        NewLine = "\n",
        Mode = CsvMode.RFC4180,
        TrimOptions = TrimOptions.None,
        IgnoreBlankLines = true,
        DetectColumnCountChanges = false,
        MissingFieldFound = null,
        ShouldQuote = args => NeedsQuotes(args.Field),
        BadDataFound = args => throw new InvalidDataException(
            $"malformed CSV at record {args.Context.Parser?.Row}: {Shorten(args.RawRecord)}"),
    };

    /// <summary>
    /// RFC 4180 quoting: a field with a comma, a quote, CR or LF (a lone CR too), or a space at either end.
    /// Every writer here uses this rule, so a plain record can be joined without the library, byte-identical.
    /// </summary>
    public static bool NeedsQuotes(string? field) =>
        !string.IsNullOrEmpty(field) && (field.AsSpan().IndexOfAny(",\"\r\n") >= 0 || field[0] == ' ' || field[^1] == ' ');

    /// <summary>One record, with its '\n' line end.</summary>
    public static string Record(IEnumerable<string> fields)
    {
        // Most records (index lines of ordinary names) need no quoting: joined directly, no writer per line.
        var list = fields as IReadOnlyList<string> ?? fields.ToList();
        if (!list.Any(NeedsQuotes))
        {
            return string.Join(',', list) + "\n";
        }

        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using (var writer = new CsvWriter(text, Config, leaveOpen: true))
        {
            foreach (var field in fields)
            {
                writer.WriteField(field);
            }

            writer.NextRecord();
        }

        return text.ToString();
    }

    /// <summary>Writes a header and records atomically (temporary name, then rename).</summary>
    public static void WriteFile(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> records) =>
        AtomicFile.Write(path, stream =>
        {
            using var text = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            using var writer = new CsvWriter(text, Config, leaveOpen: true);
            foreach (var record in records.Prepend(header))
            {
                foreach (var field in record)
                {
                    writer.WriteField(field);
                }

                writer.NextRecord();
            }
        });

    /// <summary>The records of a CSV text (blank lines skipped).</summary>
    /// <exception cref="InvalidDataException">Malformed quoting.</exception>
    public static IEnumerable<string[]> Records(TextReader reader)
    {
        using var parser = new CsvParser(reader, Config, leaveOpen: true);
        while (parser.Read())
        {
            yield return parser.Record ?? [];
        }
    }

    /// <summary>
    /// Records with the character position just after each one, for a file that may end in a torn
    /// record (an append cut short by a crash): parsing stops at the first malformed record, and the
    /// caller decides whether that was the tail.
    /// </summary>
    public static List<(string[] Fields, long End)> RecordsWithEnds(string text, out bool malformedTail)
    {
        var result = new List<(string[], long)>();
        malformedTail = false;
        var bad = false;
        using var reader = new StringReader(text);
        using var strict = new CsvParser(reader, Config with { BadDataFound = _ => bad = true });
        while (true)
        {
            bool read;
            try
            {
                read = strict.Read();
            }
            catch (CsvHelperException)
            {
                malformedTail = true;
                break;
            }

            if (!read)
            {
                break;
            }

            if (bad)
            {
                malformedTail = true;
                break;
            }

            result.Add((strict.Record ?? [], strict.CharCount));
        }

        return result;
    }

    private static string Shorten(string? raw) =>
        raw is null ? string.Empty : (raw.Length > 120 ? raw[..120] + "..." : raw).ReplaceLineEndings(" ");
}
