using System.Reflection;

namespace AeOnnx.ML.Tests;

/// <summary>
/// The transformers load models with a copy of the user's <c>ModelOptions</c> (device and batch size
/// replaced); every setting the core reads must survive the copy, CUDA provider options included
/// (they were dropped before: a GPU user's tuning silently ignored).
/// </summary>
public sealed class ModelOptionsCopyTests
{
    [Fact]
    public void LoadOptions_keeps_every_setting_of_the_users_options()
    {
        var user = new AutoencoderOptions
        {
            IntraOpThreads = 3,
            IntraOpSpinning = true,
            OptimizationLevel = GraphOptimization.Basic,
            OptimizedModelCacheDirectory = "/tmp/cache",
            CudaProviderOptions = new Dictionary<string, string> { ["cudnn_conv_algo_search"] = "HEURISTIC", ["gpu_mem_limit"] = "1073741824" },
        };

        var method = typeof(AutoencoderTransforms).Assembly
            .GetType("AeOnnx.ML.Internal.ModelCache", throwOnError: true)!
            .GetMethod("LoadOptions", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
        var copy = (AutoencoderOptions)method.Invoke(null, [user, Device.Cpu, 7])!;

        Assert.NotSame(user, copy);
        Assert.Equal(Device.Cpu, copy.Device);
        Assert.Equal(7, copy.BatchSize);
        Assert.Equal(3, copy.IntraOpThreads);
        Assert.True(copy.IntraOpSpinning);
        Assert.Equal(GraphOptimization.Basic, copy.OptimizationLevel);
        Assert.Equal("/tmp/cache", copy.OptimizedModelCacheDirectory);
        Assert.Same(user.ImageLimits, copy.ImageLimits);
        Assert.Equal(
            new Dictionary<string, string> { ["cudnn_conv_algo_search"] = "HEURISTIC", ["gpu_mem_limit"] = "1073741824" },
            copy.CudaProviderOptions);
        Assert.Equal(user with { Device = Device.Cpu, BatchSize = 7 }, copy);
    }
}
