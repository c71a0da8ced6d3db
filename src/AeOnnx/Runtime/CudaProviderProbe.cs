using System.Runtime.InteropServices;

namespace AeOnnx.Runtime;

/// <summary>
/// Finds out why ONNX Runtime's CUDA provider library did not load: loading it ourselves makes
/// the dynamic loader name the first dependency it could not find (e.g. libcublasLt.so.13).
/// </summary>
internal static class CudaProviderProbe
{
    private static readonly string[] Names = OperatingSystem.IsWindows()
        ? ["onnxruntime_providers_cuda.dll"]
        : ["libonnxruntime_providers_cuda.so"];

    /// <summary>A sentence to append to the provider error, or an empty string when nothing more is known.</summary>
    public static string Explain()
    {
        var library = Candidates().FirstOrDefault(File.Exists);
        if (library is null)
        {
            return " The CUDA provider library (" + Names[0] + ") is not next to the application: "
                + "the application references Microsoft.ML.OnnxRuntime, the CPU package: reference Microsoft.ML.OnnxRuntime.Gpu instead "
                + "(the aeonnx tool: install AeOnnx.Cli.Gpu; in the AeOnnx repository: make build GPU=1).";
        }

        try
        {
            // Loaded only to read the loader's error; if it loads, the cause is elsewhere (driver, device).
            NativeLibrary.Free(NativeLibrary.Load(library));
            return " The CUDA provider library loads, so the CUDA driver or device is the problem (is a GPU visible? nvidia-smi).";
        }
        catch (DllNotFoundException ex)
        {
            return " Loader: " + ex.Message;
        }
        catch (BadImageFormatException ex)
        {
            return " Loader: " + ex.Message;
        }
    }

    private static IEnumerable<string> Candidates()
    {
        var baseDir = AppContext.BaseDirectory;
        var rid = RuntimeInformation.RuntimeIdentifier;
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var os = OperatingSystem.IsWindows() ? "win" : "linux";
        foreach (var name in Names)
        {
            yield return Path.Combine(baseDir, name);
            yield return Path.Combine(baseDir, "runtimes", rid, "native", name);
            yield return Path.Combine(baseDir, "runtimes", $"{os}-{arch}", "native", name);
        }
    }
}
