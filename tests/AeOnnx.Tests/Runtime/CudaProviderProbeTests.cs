using AeOnnx.Runtime;

namespace AeOnnx.Tests.Runtime;

public sealed class CudaProviderProbeTests
{
    [Fact]
    public void Without_the_gpu_package_the_probe_says_which_package_to_link()
    {
        var providerLinked = File.Exists(Path.Combine(AppContext.BaseDirectory, "libonnxruntime_providers_cuda.so"))
            || Directory.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes"))
                && Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "runtimes"), "*providers_cuda*", SearchOption.AllDirectories).Any();
        var explanation = CudaProviderProbe.Explain();
        if (providerLinked)
        {
            // GPU build on a machine without CUDA: the loader's own words name the missing library.
            Assert.True(explanation.StartsWith(" Loader: ", StringComparison.Ordinal) || explanation.Contains("driver", StringComparison.Ordinal), explanation);
            return;
        }

        Assert.Equal(
            " The CUDA provider library (libonnxruntime_providers_cuda.so) is not next to the application: "
            + "the application references Microsoft.ML.OnnxRuntime, the CPU package: reference Microsoft.ML.OnnxRuntime.Gpu instead "
            + "(the aeonnx tool: install AeOnnx.Cli.Gpu; in the AeOnnx repository: make build GPU=1).",
            explanation);
    }
}
