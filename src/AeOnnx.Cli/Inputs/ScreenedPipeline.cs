using System.Runtime.CompilerServices;
using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Inputs;

/// <summary>
/// Runs the core's streaming pipeline over the inputs and pairs each result with its input, in input
/// order. Inputs the decoder must not open (empty files, FIFOs, devices) are refused by the core
/// itself, as unreadable, so they come back as per-file failures like any other bad input.
/// </summary>
internal static class ScreenedPipeline
{
    public static async IAsyncEnumerable<ScreenedResult> RunAsync(
        IReadOnlyList<InputItem> items,
        Func<IEnumerable<string>, CancellationToken, IAsyncEnumerable<PipelineResult>> pipeline,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var result in pipeline(items.Select(i => i.FullPath), cancellationToken).WithCancellation(cancellationToken))
        {
            yield return new ScreenedResult(items[result.Index], result);
        }
    }
}
