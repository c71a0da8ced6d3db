using System.Text;
using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// The resume journal of a streaming job: a first line naming the job (a fingerprint of the command, the
/// model and the inputs), then one index line per input committed, in input order. An input's outputs are
/// written before its line, so after an interruption every journalled input is complete and the job
/// continues at the first input without a line. A torn last line (no '\n') is ignored.
/// </summary>
internal sealed class JobJournal : IDisposable
{
    private const string Magic = "aeonnx-journal/1 ";
    private readonly FileStream _stream;

    private JobJournal(string path, FileStream stream, List<IndexEntry> completed)
    {
        Path = path;
        this._stream = stream;
        Completed = completed;
    }

    public string Path { get; }

    /// <summary>The inputs done by earlier, interrupted runs (empty for a fresh job).</summary>
    public IReadOnlyList<IndexEntry> Completed { get; }

    /// <summary>
    /// Opens the journal. With <paramref name="resume"/>, an existing journal of the same job is continued;
    /// one of another job is refused. Without it, any old journal is discarded.
    /// </summary>
    public static JobJournal Open(string path, string fingerprint, bool resume)
    {
        var completed = new List<IndexEntry>();
        long keep = 0;
        if (resume && File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            var firstNewline = Array.IndexOf(bytes, (byte)'\n');
            var lastNewline = Array.LastIndexOf(bytes, (byte)'\n');
            if (firstNewline >= 0)
            {
                var jobLine = Encoding.UTF8.GetString(bytes, 0, firstNewline);
                if (jobLine != Magic + fingerprint)
                {
                    throw CliException.Usage(jobLine.StartsWith(Magic, StringComparison.Ordinal)
                        ? $"--resume: the journal '{path}' belongs to a different job (inputs, model or options changed); run without --resume to start over."
                        : $"--resume: '{path}' is not an aeonnx journal; run without --resume to start over.");
                }

                keep = firstNewline + 1 + ReadEntries(path, bytes.AsSpan(firstNewline + 1, lastNewline - firstNewline), completed);
            }
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        stream.SetLength(keep);
        stream.Position = keep;
        var journal = new JobJournal(path, stream, completed);
        if (keep == 0)
        {
            journal.WriteLine(Magic + fingerprint);
        }

        return journal;
    }

    /// <summary>
    /// Reads the committed records; returns how many bytes of them to keep. Only the last record may be
    /// cut short (an append interrupted by a crash): it is dropped and done again. Any other damage (a
    /// record that does not parse, an unknown status, rows out of order) refuses the resume, since
    /// continuing would misalign outputs and their index.
    /// </summary>
    private static long ReadEntries(string path, ReadOnlySpan<byte> records, List<IndexEntry> completed)
    {
        var text = Encoding.UTF8.GetString(records);
        var parsed = CsvText.RecordsWithEnds(text, out var malformedTail);
        long start = 0;
        long okRows = 0;
        for (var i = 0; i < parsed.Count; i++)
        {
            (var fields, var end) = parsed[i];
            var last = i == parsed.Count - 1 && !malformedTail;
            var raw = text[(int)start..(int)end];
            IndexEntry? entry = null;
            string? problem = null;
            try
            {
                entry = IndexCsv.Parse(fields);
                if (entry.IsOk && entry.Row != okRows)
                {
                    problem = $"row {entry.Row} where row {okRows} was due";
                }
                else if (raw.TrimStart('\n') != IndexCsv.Format(entry, withErrors: fields.Length == 7) + "\n")
                {
                    problem = "the record is not as aeonnx writes it";
                }
            }
            catch (InvalidDataException e)
            {
                problem = e.Message;
            }

            if (problem is not null)
            {
                if (last)
                {
                    break; // a torn final append: that input is simply done again
                }

                throw Damaged(path, completed.Count + 1, problem);
            }

            completed.Add(entry!);
            okRows += entry!.IsOk ? 1 : 0;
            start = end;
        }

        // A record with broken quoting runs to the end of the text: whatever follows the good records is
        // dropped and done again (the data files are cut to the journalled rows, so nothing misaligns).
        return Encoding.UTF8.GetByteCount(text.AsSpan(0, (int)start));
    }

    private static CliException Damaged(string path, int record, string problem) =>
        CliException.Usage($"--resume: the journal '{path}' is damaged (input record {record}: {problem}); run the same command without --resume to start over.");

    /// <summary>Records one input as done; call after its outputs are safely written.</summary>
    public void Commit(IndexEntry entry, bool withErrors) => WriteLine(IndexCsv.Format(entry, withErrors));

    /// <summary>Records several inputs with one write and one flush.</summary>
    public void CommitAll(IEnumerable<IndexEntry> entries, bool withErrors) =>
        WriteLine(string.Join('\n', entries.Select(e => IndexCsv.Format(e, withErrors))));

    /// <summary>Copies the committed records (the index lines, in order) to <paramref name="destination"/>.</summary>
    public void CopyRecordsTo(Stream destination)
    {
        _stream.Flush(flushToDisk: true);
        using var reader = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        int b;
        while ((b = reader.ReadByte()) is not ('\n' or -1))
        {
        }

        reader.CopyTo(destination);
    }

    /// <summary>Removes the journal once the final outputs are in place.</summary>
    public void Delete()
    {
        _stream.Dispose();
        File.Delete(Path);
    }

    public void Dispose() => _stream.Dispose();

    private void WriteLine(string line)
    {
        _stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
        _stream.Flush(flushToDisk: true);
    }
}
