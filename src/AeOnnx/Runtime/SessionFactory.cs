using Microsoft.ML.OnnxRuntime;

namespace AeOnnx.Runtime;

/// <summary>Creates InferenceSessions for a device, with CUDA-to-CPU fallback for <see cref="Device.Auto"/>.</summary>
internal sealed class SessionFactory
{
    private readonly AutoencoderOptions _options;

    public SessionFactory(AutoencoderOptions options)
    {
        _options = options;
    }

    /// <summary>
    /// Creates the session for a graph. <paramref name="device"/> is resolved on the first call
    /// (Auto becomes Cpu or Cuda) so both graphs of a model land on the same provider.
    /// </summary>
    public InferenceSession Create(byte[] model, string path, string sha256, ref Device device)
    {
        if (device.Kind == DeviceKind.Auto)
        {
            var cuda = Device.Cuda(0);
            try
            {
                var session = CreateOn(model, path, sha256, cuda, out var providerError);
                if (session is not null)
                {
                    device = cuda;
                    return session;
                }

                Log.CudaUnavailable(_options.Logger, providerError ?? "unknown reason");
            }
            catch (OnnxRuntimeException ex)
            {
                // The CUDA provider attached but the session failed: retry on CPU. If the graph
                // itself is bad, the CPU attempt below reports it.
                Log.CudaSessionFailed(_options.Logger, ex.Message);
            }

            device = Device.Cpu;
        }

        InferenceSession? result;
        string? error;
        try
        {
            result = CreateOn(model, path, sha256, device, out error);
        }
        catch (OnnxRuntimeException ex) when (device.Kind == DeviceKind.Cuda)
        {
            // Tell a CUDA failure (driver, out of memory) from a bad graph: if the graph loads on
            // CPU the device is at fault; otherwise the CPU attempt throws the graph's error.
            using (CreateOn(model, path, sha256, Device.Cpu, out _))
            {
            }

            throw new DeviceUnavailableException(device, ex.Message, ex);
        }

        if (result is null)
        {
            throw new DeviceUnavailableException(device, error ?? "unknown reason");
        }

        return result;
    }

    /// <summary>
    /// The CUDA provider options: AeOnnx's defaults (<see cref="AutoencoderOptions.CudaProviderOptions"/>
    /// documents each), then the caller's entries, then the device id.
    /// </summary>
    internal Dictionary<string, string> CudaSettings(Device device)
    {
        var settings = new Dictionary<string, string>(DefaultCudaSettings, StringComparer.Ordinal);
        foreach (var (key, value) in _options.CudaProviderOptions)
        {
            settings[key] = value;
        }

        settings["device_id"] = device.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    internal static IReadOnlyDictionary<string, string> DefaultCudaSettings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Batches repeat the same shapes, so measuring every cuDNN algorithm once per shape pays back.
        ["cudnn_conv_algo_search"] = "EXHAUSTIVE",
        ["cudnn_conv_use_max_workspace"] = "1",

        // Grow the memory arena by what is asked, not by doubling: a 4096-image batch would otherwise
        // reserve twice its size for the rest of the process.
        ["arena_extend_strategy"] = "kSameAsRequested",
        ["do_copy_in_default_stream"] = "1",

        // TF32 rounds float32 inputs to a 10-bit mantissa; AeOnnx promises CPU parity (<= 1e-4) instead.
        ["use_tf32"] = "0",
    };

    public static string ProviderName(Device device) =>
        device.Kind == DeviceKind.Cuda ? "CUDAExecutionProvider" : "CPUExecutionProvider";

    /// <summary>Returns null with <paramref name="providerError"/> set when the execution provider cannot be attached.</summary>
    private InferenceSession? CreateOn(byte[] model, string path, string sha256, Device device, out string? providerError)
    {
        providerError = null;

        // Before anything creates ONNX Runtime's environment with its defaults (telemetry on).
        _ = OnnxRuntimeEnvironment.Instance;
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = OrtLevel(_options.OptimizationLevel),
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (_options.IntraOpThreads > 0)
        {
            sessionOptions.IntraOpNumThreads = _options.IntraOpThreads;
        }

        // ORT's intra-op threads spin between runs by default; in the folder pipeline they would
        // burn the cores the decode workers need, so spinning is opt-in.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", _options.IntraOpSpinning ? "1" : "0");

        // The graph is loaded from bytes, so ORT would resolve external data against the working
        // directory; pin it to the model folder (ORT refuses paths that escape it).
        sessionOptions.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", Path.GetDirectoryName(Path.GetFullPath(path))!);

        OrtCUDAProviderOptions? cudaOptions = null;
        using var cudaOptionsOwner = new DisposeLater(() => cudaOptions?.Dispose());
        if (device.Kind == DeviceKind.Cuda)
        {
            try
            {
                cudaOptions = new OrtCUDAProviderOptions();
                cudaOptions.UpdateOptions(CudaSettings(device));
                sessionOptions.AppendExecutionProvider_CUDA(cudaOptions);
            }
            catch (EntryPointNotFoundException ex)
            {
                providerError = "the ONNX Runtime native library in use has no CUDA execution provider "
                    + "(the application references Microsoft.ML.OnnxRuntime, the CPU package: reference Microsoft.ML.OnnxRuntime.Gpu instead; "
                    + "the aeonnx tool: install AeOnnx.Cli.Gpu; in the AeOnnx repository: make build GPU=1): "
                    + ex.Message;
                return null;
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or BadImageFormatException)
            {
                // ORT's exception says only "Failed to load shared library"; the library that is
                // missing (libcublasLt, libcudnn, the driver) is in the loader's message.
                providerError = ex.Message.TrimEnd('.') + "." + CudaProviderProbe.Explain();
                return null;
            }
        }

        var cachePath = CachePath(path, sha256, device);
        if (cachePath is null)
        {
            return new InferenceSession(model, sessionOptions);
        }

        // The cached graph replaces the verified original, so it is verified too: it must name the
        // original's SHA-256 and hash to what its header says. Anything else is rebuilt.
        var cached = OptimizedGraphCache.Read(cachePath, sha256, out var refusal);
        if (cached is not null)
        {
            try
            {
                sessionOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
                return new InferenceSession(cached, sessionOptions);
            }
            catch (OnnxRuntimeException ex)
            {
                refusal = ex.Message;
                sessionOptions.GraphOptimizationLevel = OrtLevel(_options.OptimizationLevel);
            }
        }

        if (refusal is not null)
        {
            Log.CachedGraphIgnored(_options.Logger, cachePath, refusal);
            TryDelete(cachePath);
        }

        // ORT writes the optimized graph while it builds the session; it goes to a private temporary
        // name and is published (with its header) by an atomic rename, so a reader never sees half a file.
        Directory.CreateDirectory(Path.GetDirectoryName(cachePath)!);
        var temporary = $"{cachePath}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        sessionOptions.OptimizedModelFilePath = temporary;
        try
        {
            var session = new InferenceSession(model, sessionOptions);
            OptimizedGraphCache.Publish(temporary, cachePath, sha256);
            return session;
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    private string? CachePath(string path, string sha256, Device device)
    {
        if (string.IsNullOrEmpty(_options.OptimizedModelCacheDirectory))
        {
            return null;
        }

        // An optimized graph is only valid for the graph, the level, the provider, the ONNX Runtime
        // that wrote it (fused operators differ between versions) and the CPU (kernels are chosen by
        // instruction set): all five are in the name.
        var name = $"{Path.GetFileNameWithoutExtension(path)}-{sha256[..16]}-{OrtLevel(_options.OptimizationLevel)}-{device.ToString().Replace(':', '_')}"
            + $"-ort{OptimizedGraphCache.RuntimeVersion}-cpu{OptimizedGraphCache.CpuKey}{OptimizedGraphCache.Extension}";
        return Path.Combine(Path.GetFullPath(_options.OptimizedModelCacheDirectory), name);
    }

    /// <summary>ONNX Runtime's level for the library's own <see cref="GraphOptimization"/>.</summary>
    internal static GraphOptimizationLevel OrtLevel(GraphOptimization level) => level switch
    {
        GraphOptimization.None => GraphOptimizationLevel.ORT_DISABLE_ALL,
        GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        GraphOptimization.All => GraphOptimizationLevel.ORT_ENABLE_ALL,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown graph optimization level."),
    };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Runs an action at the end of a using scope (for a value assigned inside a try).</summary>
    private sealed class DisposeLater(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
