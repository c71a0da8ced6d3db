using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AeOnnx.GpuBench;

/// <summary>
/// The encoder on CUDA through ONNX Runtime's IO binding, with input and output in pinned (page-locked)
/// host memory: what a zero-extra-copy path would gain over the library's managed-buffer runs. Measured
/// beside the library so a future change to GraphSession is decided on numbers.
/// </summary>
internal sealed class PinnedIoBinding : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly OrtMemoryInfo _pinned;
    private readonly OrtAllocator _allocator;
    private readonly OrtValue _input;
    private readonly OrtValue _output;
    private readonly RunOptions _run = new();

    public PinnedIoBinding(string encoderPath, string inputName, string outputName, int batch, long[] imageShape, int latentDim, IReadOnlyDictionary<string, string> cudaSettings)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(cudaSettings.ToDictionary(p => p.Key, p => p.Value));
        options.AppendExecutionProvider_CUDA(cuda);
        _session = new InferenceSession(encoderPath, options);
        _pinned = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.CpuOutput);
        _allocator = new OrtAllocator(_session, _pinned);
        _input = OrtValue.CreateAllocatedTensorValue(_allocator, TensorElementType.Float, [batch, .. imageShape]);
        _output = OrtValue.CreateAllocatedTensorValue(_allocator, TensorElementType.Float, [batch, latentDim]);
        var random = new Random(batch);
        var span = _input.GetTensorMutableDataAsSpan<float>();
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (float)random.NextDouble();
        }

        _binding = _session.CreateIoBinding();
        _binding.BindInput(inputName, _input);
        _binding.BindOutput(outputName, _output);
    }

    public void Run()
    {
        _session.RunWithBinding(_run, _binding);
    }

    public void Dispose()
    {
        _binding.Dispose();
        _input.Dispose();
        _output.Dispose();
        _allocator.Dispose();
        _pinned.Dispose();
        _session.Dispose();
        _run.Dispose();
    }
}
