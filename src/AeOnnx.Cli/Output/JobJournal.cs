using System.Text;

namespace AeOnnx.Cli.Output;

/// <summary>
/// The resume journal of a streaming job: a first line naming the job (a fingerprint of the command, the
/// model and the inputs), then one index line per input committed, in input order. An input's outputs are
/// written before its line, so after an interruption every journalled input is complete and the job
/// continues at the first input without a line. A torn last line (no '\n') is ignored.
/// </summary>
internal sealed class JobJournal : IDisposable
{
    private const string Magic = "aeonnx-journal/1 ";
    private readonly FileStream stream;

    private JobJournal(string path, FileStream stream, List<IndexEntry> completed)
    {
        Path = path;
        this.stream = stream;
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
            byte[] bytes = File.ReadAllBytes(path);
            int lastNewline = Array.LastIndexOf(bytes, (byte)'\n');
            string text = lastNewline < 0 ? string.Empty : Encoding.UTF8.GetString(bytes, 0, lastNewline + 1);
            string[] lines = text.Split('\n');
            if (lines.Length > 1 && lines[0] == Magic + fingerprint)
            {
                foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
                {
                    completed.Add(IndexCsv.ParseLine(line));
                }

                keep = lastNewline + 1;
            }
            else if (lines.Length > 1)
            {
                throw CliException.Usage(
                    $"--resume: the journal '{path}' belongs to a different job (inputs, model or options changed); " +
                    "run without --resume to start over.");
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

    /// <summary>Records one input as done; call after its outputs are safely written.</summary>
    public void Commit(IndexEntry entry, bool withErrors) => WriteLine(IndexCsv.Format(entry, withErrors));

    /// <summary>Records several inputs with one write and one flush.</summary>
    public void CommitAll(IEnumerable<IndexEntry> entries, bool withErrors) =>
        WriteLine(string.Join('\n', entries.Select(e => IndexCsv.Format(e, withErrors))));

    /// <summary>Removes the journal once the final outputs are in place.</summary>
    public void Delete()
    {
        stream.Dispose();
        File.Delete(Path);
    }

    public void Dispose() => stream.Dispose();

    private void WriteLine(string line)
    {
        stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
        stream.Flush(flushToDisk: true);
    }
}
