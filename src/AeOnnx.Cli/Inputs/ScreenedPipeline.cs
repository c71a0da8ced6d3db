using System.Runtime.CompilerServices;
using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Inputs;

/// <summary>
/// Runs the core's streaming pipeline over the inputs that pass <see cref="InputScreen"/> and yields every
/// input's outcome in input order, screened-out ones in their places.
/// </summary>
internal static class ScreenedPipeline
{
    public static async IAsyncEnumerable<ScreenedResult> RunAsync(
        IReadOnlyList<InputItem> items,
        Func<IEnumerable<string>, CancellationToken, IAsyncEnumerable<PipelineResult>> pipeline,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reasons = new string?[items.Count];
        var passed = new List<int>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            reasons[i] = InputScreen.Reason(items[i]);
            if (reasons[i] is null)
            {
                passed.Add(i);
            }
        }

        int next = 0;
        await foreach (PipelineResult result in pipeline(passed.Select(i => items[i].FullPath), cancellationToken).WithCancellation(cancellationToken))
        {
            int position = passed[result.Index];
            for (; next < position; next++)
            {
                yield return new ScreenedResult(items[next], null, reasons[next]);
            }

            yield return new ScreenedResult(items[position], result, null);
            next = position + 1;
        }

        for (; next < items.Count; next++)
        {
            yield return new ScreenedResult(items[next], null, reasons[next]);
        }
    }
}
