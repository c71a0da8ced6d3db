using System.Diagnostics;
using System.Text;
using AeOnnx.Cli.Output;
using AeOnnx.IO;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// Bookkeeping of a streaming job: the journal, progress and warnings for skipped inputs. Inputs are committed in input order, in groups (one disk flush per group);
/// <see cref="BeforeCommit"/> runs first, so data an input's journal line refers to is on disk before it.
/// </summary>
internal sealed class ResumableRun : IDisposable
{
    private const int MaxPending = 256;
    private static readonly TimeSpan MaxPendingAge = TimeSpan.FromSeconds(1);
    private readonly JobJournal _journal;
    private readonly ProgressReporter _progress;
    private readonly CliConsole _console;
    private readonly bool _withErrors;
    private readonly List<IndexEntry> _pending = [];
    private readonly Stopwatch _sinceCommit = Stopwatch.StartNew();
    private int _committedThisRun;

    public ResumableRun(CliConsole console, string label, string journalPath, string fingerprint, bool resume, bool quiet, long total, bool withErrors)
    {
        this._console = console;
        this._withErrors = withErrors;
        _journal = JobJournal.Open(journalPath, fingerprint, resume);
        if (_journal.Completed.Count > total)
        {
            _journal.Dispose();
            throw CliException.Usage($"--resume: the journal '{journalPath}' lists more inputs than the job has; run without --resume.");
        }

        OkCount = _journal.Completed.Count(e => e.IsOk);
        SkippedCount = _journal.Completed.Count - OkCount;
        Resumed = _journal.Completed.Count;
        _progress = new ProgressReporter(console, label, total, quiet, Resumed);
        if (Resumed > 0 && !quiet)
        {
            console.Error.WriteLine($"{label}: resuming after {Resumed} of {total} inputs done.");
        }
    }

    /// <summary>Inputs done by earlier runs; this run starts at this position.</summary>
    public int Resumed { get; }

    /// <summary>The entries of earlier runs (for outputs that need them again, e.g. a comparison grid).</summary>
    public IReadOnlyList<IndexEntry> Completed => _journal.Completed;

    /// <summary>Inputs done so far (all runs), also the next output row number.</summary>
    public long OkCount { get; private set; }

    public long SkippedCount { get; private set; }

    /// <summary>Makes data written for pending inputs durable (flush the .npy part file).</summary>
    public Action? BeforeCommit { get; set; }

    /// <summary>Records one input's outcome (after its outputs are written); a skipped one is reported by its path.</summary>
    public void Add(IndexEntry entry)
    {
        if (entry.IsOk)
        {
            OkCount++;
        }
        else
        {
            SkippedCount++;
            _progress.Warn($"skipped {entry.Path}: {entry.Reason}");
        }

        _pending.Add(entry);
        _progress.Advance(entry.IsOk);
        _committedThisRun++;
        if (_pending.Count >= MaxPending || _sinceCommit.Elapsed >= MaxPendingAge)
        {
            Commit();
        }

        // Whatever this throws (an interruption), Dispose commits the pending inputs: their outputs are written.
        _console.AfterInputRecorded?.Invoke(_committedThisRun);
    }

    /// <summary>Commits what is pending (also called on errors and interruption: those inputs are done).</summary>
    public void Commit()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        BeforeCommit?.Invoke();
        _journal.CommitAll(_pending, _withErrors);
        _pending.Clear();
        _sinceCommit.Restart();
    }

    /// <summary>Commits what is pending and prints the final progress line: every input is recorded.</summary>
    public void Finish()
    {
        Commit();
        _progress.Finish();
    }

    /// <summary>Finishes, then writes the index CSV from the journal (its lines are the index lines).</summary>
    public void WriteIndex(string indexPath)
    {
        Finish();
        AtomicFile.Write(indexPath, stream =>
        {
            stream.Write(Encoding.UTF8.GetBytes(IndexCsv.HeaderLine(_withErrors) + "\n"));
            _journal.CopyRecordsTo(stream);
        });
    }

    /// <summary>Removes the journal: the job's final outputs are all in place.</summary>
    public void Complete() => _journal.Delete();

    public void Dispose()
    {
        try
        {
            Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // Already failing (the data file may be closed already); the inputs not journalled are
            // simply done again by --resume, and the original error is the one reported.
        }

        _journal.Dispose();
    }
}
