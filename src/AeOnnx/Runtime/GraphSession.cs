using System.Buffers;
using Microsoft.ML.OnnxRuntime;

namespace AeOnnx.Runtime;

/// <summary>
/// One graph's InferenceSession with a single float input of shape [N, ...inputShape] and one or
/// two float outputs of shape [N, ...]. Run is thread-safe (ONNX Runtime allows concurrent Run on
/// one session); the owner guarantees no Run races with Dispose.
/// </summary>
internal sealed class GraphSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _inputShapeTail;

    public GraphSession(InferenceSession session, string path, string inputName, IReadOnlyList<string> outputNames, int[] inputShapeTail, int[] outputSizes)
    {
        _session = session;
        Path = path;
        _inputNames = [inputName];
        _outputNames = [.. outputNames];
        _inputShapeTail = inputShapeTail.Select(d => (long)d).ToArray();
        InputSize = inputShapeTail.Aggregate(1, (a, b) => a * b);
        OutputSizes = outputSizes;
    }

    public string Path { get; }

    /// <summary>Floats per item of the input.</summary>
    public int InputSize { get; }

    /// <summary>Floats per item of each output.</summary>
    public int[] OutputSizes { get; }

    /// <summary>
    /// Runs <paramref name="count"/> items. <paramref name="input"/> holds count × InputSize floats;
    /// output k is copied into <paramref name="output0"/> / <paramref name="output1"/> (count × OutputSizes[k]);
    /// an empty second span skips the copy.
    /// </summary>
    public void Run(ReadOnlySpan<float> input, int count, Span<float> output0, Span<float> output1)
    {
        var length = count * InputSize;
        var shape = new long[_inputShapeTail.Length + 1];
        shape[0] = count;
        _inputShapeTail.CopyTo(shape, 1);

        // The input is copied into a pooled buffer so ONNX Runtime can pin managed memory that
        // outlives this stack frame's spans; the pool keeps steady-state runs allocation-free.
        var buffer = ArrayPool<float>.Shared.Rent(length);
        try
        {
            input[..length].CopyTo(buffer);
            using var tensor = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, length), shape);
            using var outputs = _session.Run(_runOptions, _inputNames, [tensor], _outputNames);
            var index = 0;
            foreach (var output in outputs)
            {
                var destination = index == 0 ? output0 : output1;
                if (index > 1 || destination.IsEmpty)
                {
                    index++;
                    continue;
                }

                var data = output.GetTensorDataAsSpan<float>();
                var expected = count * OutputSizes[index];
                if (data.Length != expected)
                {
                    throw new InvalidOperationException(
                        $"{Path}: output '{_outputNames[index]}' has {data.Length} values for {count} items, expected {expected}.");
                }

                data.CopyTo(destination);
                index++;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Runs <paramref name="count"/> items in runs of at most <paramref name="batchSize"/>: the slices of
    /// the input and outputs that belong to each run (an empty second output stays empty).
    /// </summary>
    public void RunInBatches(ReadOnlySpan<float> input, int count, Span<float> output0, Span<float> output1, int batchSize)
    {
        var size1 = OutputSizes.Length > 1 ? OutputSizes[1] : 0;
        for (var start = 0; start < count; start += batchSize)
        {
            var n = Math.Min(batchSize, count - start);
            Run(
                input.Slice(start * InputSize, n * InputSize),
                n,
                output0.Slice(start * OutputSizes[0], n * OutputSizes[0]),
                output1.IsEmpty ? Span<float>.Empty : output1.Slice(start * size1, n * size1));
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
