using System.Runtime.CompilerServices;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// The job protocol, in one place; every verb's job runs on it. Before the model loads or any work:
/// the outputs are checked against the inputs (and any other file the job reads) and each other, the
/// job's exclusive lock is taken, and its output files are checked writable (<see cref="Open"/>).
/// Then a resumable job keeps its journal (<see cref="Journal"/>: the job named by verb, model and
/// inputs; continued with <c>--resume</c>), a streaming job classifies every input's outcome by one rule
/// (<see cref="StreamAsync"/>), and every job ends with its summary (unless <c>--quiet</c>) and one
/// exit-code rule (<see cref="Finish"/>). Failures become exit codes in <see cref="Commands.VerbCommand"/>.
/// </summary>
internal sealed class Job : IDisposable
{
    private readonly JobLock _lock;

    private Job(CliConsole console, string verb, bool quiet, IReadOnlyList<InputItem> items, JobLock jobLock)
    {
        Console = console;
        Verb = verb;
        Quiet = quiet;
        Items = items;
        _lock = jobLock;
    }

    public CliConsole Console { get; }

    /// <summary>The verb: the label of progress lines and of the journal's job name.</summary>
    public string Verb { get; }

    /// <summary><c>--quiet</c>: no progress, no summary; errors are still printed.</summary>
    public bool Quiet { get; }

    /// <summary>The job's inputs, in their deterministic order.</summary>
    public IReadOnlyList<InputItem> Items { get; }

    /// <summary>Checks the outputs, takes the lock and checks the output files writable; all before any work.</summary>
    /// <param name="items">The inputs (resolved without the output folders: <see cref="JobOutputs.Folders"/>).</param>
    /// <param name="alsoRead">Files read besides the inputs (latents, shard files, a second folder): protected too.</param>
    /// <param name="writable">Output files that must be creatable (null: an option not given).</param>
    public static Job Open(CliConsole console, string verb, bool quiet, JobOutputs outputs, string lockPath, IReadOnlyList<InputItem> items, IEnumerable<(string Display, string FullPath)>? alsoRead = null, params string?[] writable)
    {
        var jobLock = outputs.Claim(items.Select(i => (i.DisplayPath, i.FullPath)).Concat(alsoRead ?? []), lockPath);
        try
        {
            foreach (var path in writable)
            {
                if (path is not null)
                {
                    OutputFiles.CheckWritable(path);
                }
            }
        }
        catch
        {
            jobLock.Dispose();
            throw;
        }

        return new Job(console, verb, quiet, items, jobLock);
    }

    /// <summary>0 when every input was done, 3 when some were skipped (each reported with its reason).</summary>
    public static int ExitCode(long skipped) => skipped > 0 ? ExitCodes.SomeInputsSkipped : ExitCodes.Success;

    /// <summary>
    /// Runs the core's streaming pipeline over <paramref name="items"/> and classifies each result, in input
    /// order: <see cref="JobOutcome.SkipReason"/> is null only for a result whose latent (and reconstruction)
    /// are all finite.
    /// </summary>
    public static async IAsyncEnumerable<JobOutcome> StreamAsync(
        IReadOnlyList<InputItem> items,
        Func<IEnumerable<string>, CancellationToken, IAsyncEnumerable<PipelineResult>> pipeline,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var outcome in ScreenedPipeline.RunAsync(items, pipeline, cancellationToken))
        {
            var reason = outcome.Succeeded
                ? FailureReason.NonFinite("latent or reconstruction", outcome.Result!.Latent, outcome.Result.Reconstruction)
                : FailureReason.Of(outcome);
            yield return new JobOutcome(outcome.Item, outcome.Result, reason);
        }
    }

    /// <summary>
    /// Opens the journal of a resumable job: a fresh one, or with <paramref name="resume"/> the one an
    /// interrupted run of the same job (<paramref name="fingerprint"/>) left, continued where it stopped.
    /// </summary>
    /// <param name="total">Inputs of the whole job (all runs).</param>
    /// <param name="withErrors">Records carry MSE and PSNR (reconstruct).</param>
    public ResumableRun Journal(string path, string fingerprint, bool resume, long total, bool withErrors) =>
        new(Console, Verb, path, fingerprint, resume, Quiet, total, withErrors);

    /// <summary>Progress of a job that keeps no journal.</summary>
    public ProgressReporter Progress(long total) => new(Console, Verb, total, Quiet);

    /// <summary>Prints the summary unless <c>--quiet</c>; returns the exit code (<see cref="ExitCode"/>).</summary>
    public int Finish(long skipped, params IEnumerable<string> summary)
    {
        if (!Quiet)
        {
            foreach (var line in summary)
            {
                Console.Out.WriteLine(line);
            }
        }

        return ExitCode(skipped);
    }

    public void Dispose() => _lock.Dispose();
}
