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
    private readonly JobJournal journal;
    private readonly ProgressReporter progress;
    private readonly CliConsole console;
    private readonly bool withErrors;
    private readonly List<IndexEntry> pending = [];
    private readonly Stopwatch sinceCommit = Stopwatch.StartNew();
    private int committedThisRun;

    public ResumableRun(CliConsole console, string label, string journalPath, string fingerprint, bool resume, bool quiet, long total, bool withErrors)
    {
        this.console = console;
        this.withErrors = withErrors;
        journal = JobJournal.Open(journalPath, fingerprint, resume);
        if (journal.Completed.Count > total)
        {
            journal.Dispose();
            throw CliException.Usage($"--resume: the journal '{journalPath}' lists more inputs than the job has; run without --resume.");
        }

        OkCount = journal.Completed.Count(e => e.IsOk);
        SkippedCount = journal.Completed.Count - OkCount;
        Resumed = journal.Completed.Count;
        progress = new ProgressReporter(console, label, total, quiet, Resumed);
        if (Resumed > 0 && !quiet)
        {
            console.Error.WriteLine($"{label}: resuming after {Resumed} of {total} inputs done.");
        }
    }

    /// <summary>Inputs done by earlier runs; this run starts at this position.</summary>
    public int Resumed { get; }

    /// <summary>The entries of earlier runs (for outputs that need them again, e.g. a comparison grid).</summary>
    public IReadOnlyList<IndexEntry> Completed => journal.Completed;

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
            progress.Warn($"skipped {entry.Path}: {entry.Reason}");
        }

        pending.Add(entry);
        progress.Advance(entry.IsOk);
        committedThisRun++;
        if (pending.Count >= MaxPending || sinceCommit.Elapsed >= MaxPendingAge)
        {
            Commit();
        }

        // Whatever this throws (an interruption), Dispose commits the pending inputs: their outputs are written.
        console.AfterInputRecorded?.Invoke(committedThisRun);
    }

    /// <summary>Commits what is pending (also called on errors and interruption: those inputs are done).</summary>
    public void Commit()
    {
        if (pending.Count == 0)
        {
            return;
        }

        BeforeCommit?.Invoke();
        journal.CommitAll(pending, withErrors);
        pending.Clear();
        sinceCommit.Restart();
    }

    /// <summary>Commits what is pending and prints the final progress line: every input is recorded.</summary>
    public void Finish()
    {
        Commit();
        progress.Finish();
    }

    /// <summary>Finishes, then writes the index CSV from the journal (its lines are the index lines).</summary>
    public void WriteIndex(string indexPath)
    {
        Finish();
        AtomicFile.Write(indexPath, stream =>
        {
            stream.Write(Encoding.UTF8.GetBytes(IndexCsv.HeaderLine(withErrors) + "\n"));
            journal.CopyRecordsTo(stream);
        });
    }

    /// <summary>Removes the journal: the job's final outputs are all in place.</summary>
    public void Complete() => journal.Delete();

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

        journal.Dispose();
    }
}
