using System.CommandLine;
using System.Runtime.CompilerServices;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Commands;

/// <summary>
/// The skeleton every streaming verb (encode, reconstruct, outliers, arithmetic; decode for its outputs) runs on:
/// inputs listed without the job's own output folders, outputs checked against inputs and each other, the
/// exclusive lock held for the job, every input's outcome classified by one rule (a failed or non-finite
/// result is a skipped input with its reason; nothing of it is written), and one exit code rule.
/// </summary>
internal sealed class StreamingJob : IDisposable
{
    private readonly JobLock jobLock;

    private StreamingJob(IReadOnlyList<InputItem> items, JobLock jobLock)
    {
        Items = items;
        this.jobLock = jobLock;
    }

    /// <summary>The job's inputs, in their deterministic order.</summary>
    public IReadOnlyList<InputItem> Items { get; }

    /// <summary>Lists the inputs, checks the outputs against them, takes the lock; all before any work.</summary>
    /// <param name="extraInputs">Inputs read besides INPUT (e.g. arithmetic's --from-folder images): also protected.</param>
    public static StreamingJob Start(ParseResult parse, InputOptions inputs, JobOutputs outputs, string lockPath, IEnumerable<InputItem>? extraInputs = null)
    {
        var items = inputs.Resolve(parse, outputs);
        return new StreamingJob(items, outputs.Claim(items.Concat(extraInputs ?? []), lockPath));
    }

    /// <summary>0 when every input was done, 3 when some were skipped (each reported with its reason).</summary>
    public static int ExitCode(long skipped) => skipped > 0 ? ExitCodes.SomeInputsSkipped : ExitCodes.Success;

    /// <summary>
    /// Runs the core's streaming pipeline over <paramref name="items"/> and classifies each result, in input
    /// order: <see cref="JobOutcome.SkipReason"/> is null only for a result whose latent (and reconstruction)
    /// are all finite.
    /// </summary>
    public static async IAsyncEnumerable<JobOutcome> RunAsync(
        IReadOnlyList<InputItem> items,
        Func<IEnumerable<string>, CancellationToken, IAsyncEnumerable<PipelineResult>> pipeline,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var outcome in ScreenedPipeline.RunAsync(items, pipeline, cancellationToken))
        {
            string? reason = outcome.Succeeded
                ? FailureReason.NonFinite("latent or reconstruction", outcome.Result!.Latent, outcome.Result.Reconstruction)
                : FailureReason.Of(outcome);
            yield return new JobOutcome(outcome.Item, outcome.Result, reason);
        }
    }

    public void Dispose() => jobLock.Dispose();
}
