using Microsoft.ML.OnnxRuntime;

namespace AeOnnx.Runtime;

/// <summary>
/// ONNX Runtime's process-wide environment, created once, before any session, with its telemetry off
/// and its own log at errors only. ONNX Runtime 1.31 on Linux starts a telemetry uploader when the
/// environment is created and persists a device id under <c>$HOME/.cache</c>; a user whose HOME is
/// missing or read-only (a container with a read-only root, a service account) would see
/// "Failed to persist telemetry device ID" on stderr. AeOnnx turns the events off
/// (<see cref="OrtEnv.DisableTelemetryEvents"/>) and keeps that warning out of the user's output; set
/// <c>AEONNX_ONNXRUNTIME_TELEMETRY=on</c> to leave ONNX Runtime's defaults. (Only ONNX Runtime's own CI
/// detection, or <c>ORT_TELEMETRY_DISABLED=1</c> in releases after 1.31, keep it from writing the
/// device id file in the first place: those are the process environment's to set.)
/// </summary>
internal static class OnnxRuntimeEnvironment
{
    /// <summary>The environment variable that, set to <c>on</c>, keeps ONNX Runtime's telemetry defaults.</summary>
    public const string TelemetryVariable = "AEONNX_ONNXRUNTIME_TELEMETRY";

    private static readonly Lazy<OrtEnv> Environment = new(Create);

    /// <summary>The environment; the first call creates it (every session and version query goes through here).</summary>
    public static OrtEnv Instance => Environment.Value;

    /// <summary>Whether AeOnnx turned ONNX Runtime's telemetry off in this process.</summary>
    public static bool TelemetryDisabled { get; private set; }

    private static OrtEnv Create()
    {
        var keepDefaults = string.Equals(System.Environment.GetEnvironmentVariable(TelemetryVariable), "on", StringComparison.OrdinalIgnoreCase);
        if (keepDefaults)
        {
            return OrtEnv.Instance();
        }

        OrtEnv env;
        if (OrtEnv.IsCreated)
        {
            // The application created it first (e.g. an ML.NET ApplyOnnxModel before any AeOnnx model):
            // its options stand, but the events can still be turned off.
            env = OrtEnv.Instance();
        }
        else
        {
            var options = new EnvironmentCreationOptions
            {
                logId = "AeOnnx",
                logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            env = OrtEnv.CreateInstanceWithOptions(ref options);
        }

        env.DisableTelemetryEvents();
        TelemetryDisabled = true;
        return env;
    }
}
