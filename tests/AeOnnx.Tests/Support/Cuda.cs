namespace AeOnnx.Tests.Support;

/// <summary>
/// Whether CUDA starts in this test process: the CUDA flavor of ONNX Runtime is linked
/// (<c>-p:AeOnnxGpu=true</c>, <c>make test GPU=1</c>) and a device, driver and libraries are present.
/// Found once by loading a shipped model on <c>cuda:0</c>; CUDA tests run when it does and are
/// skipped (counted as skipped, reason shown) when it does not.
/// </summary>
internal static class Cuda
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>True when a session starts on cuda:0.</summary>
    public static bool Available => Unavailable.Value is null;

    /// <summary>Why CUDA does not start here (null when it does).</summary>
    public static string? Reason => Unavailable.Value;

    /// <summary>The skip reason for a test that needs CUDA.</summary>
    public static string SkipReason => $"CUDA does not start in this process, so this CUDA test is skipped: {Reason}";

    private static string? Probe()
    {
        try
        {
            using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), new AutoencoderOptions { Device = Device.Cuda(0) });
            return null;
        }
        catch (DeviceUnavailableException ex)
        {
            var linked = File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime_providers_cuda.so"))
                ? "the CUDA flavor is linked"
                : "the CPU flavor of ONNX Runtime is linked (build with -p:AeOnnxGpu=true, make test GPU=1, for the CUDA one)";
            return $"{linked}; {ex.Reason}";
        }
    }
}
