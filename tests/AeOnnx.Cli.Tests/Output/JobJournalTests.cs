using AeOnnx.Cli.Jobs;
using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Tests.Output;

public sealed class JobJournalTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Resume_returns_committed_entries_and_ignores_a_torn_last_line()
    {
        var path = _temp["job.journal"];
        using (var journal = JobJournal.Open(path, "abc", resume: false))
        {
            Assert.Empty(journal.Completed);
            journal.Commit(new IndexEntry(0, "a.png", IndexEntry.Ok, string.Empty), withErrors: false);
            journal.Commit(new IndexEntry(null, "b.png", IndexEntry.Skipped, "corrupt"), withErrors: false);
        }

        File.AppendAllText(path, "1,c.png,o"); // interrupted mid-line
        using (var journal = JobJournal.Open(path, "abc", resume: true))
        {
            Assert.Equal(["a.png", "b.png"], journal.Completed.Select(e => e.Path));
            journal.Commit(new IndexEntry(1, "c.png", IndexEntry.Ok, string.Empty), withErrors: false);
        }

        using (var journal = JobJournal.Open(path, "abc", resume: true))
        {
            Assert.Equal(["a.png", "b.png", "c.png"], journal.Completed.Select(e => e.Path));
            journal.Delete();
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Without_resume_an_old_journal_is_discarded()
    {
        var path = _temp["job.journal"];
        using (var journal = JobJournal.Open(path, "abc", resume: false))
        {
            journal.Commit(new IndexEntry(0, "a.png", IndexEntry.Ok, string.Empty), withErrors: false);
        }

        using (var journal = JobJournal.Open(path, "abc", resume: false))
        {
            Assert.Empty(journal.Completed);
        }

        using (var journal = JobJournal.Open(path, "abc", resume: true))
        {
            Assert.Empty(journal.Completed);
        }
    }

    [Fact]
    public void Resume_of_another_job_is_refused()
    {
        var path = _temp["job.journal"];
        using (var journal = JobJournal.Open(path, "abc", resume: false))
        {
            journal.Commit(new IndexEntry(0, "a.png", IndexEntry.Ok, string.Empty), withErrors: false);
        }

        var e = Assert.Throws<CliException>(() => JobJournal.Open(path, "other", resume: true));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }
}
