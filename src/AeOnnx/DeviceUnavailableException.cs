namespace AeOnnx;

/// <summary>
/// Thrown when an explicitly requested execution provider (e.g. <c>cuda:0</c>) cannot start.
/// The message carries ONNX Runtime's reason (a missing CUDA/cuDNN library, no driver, a CPU-only
/// ONNX Runtime package). <see cref="Device.Auto"/> falls back to CPU instead, except when the
/// application has no native ONNX Runtime at all (neither <c>Microsoft.ML.OnnxRuntime</c> nor
/// <c>Microsoft.ML.OnnxRuntime.Gpu</c>): then every device throws this, naming the package to add.
/// </summary>
public sealed class DeviceUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="device">The device that was asked for.</param>
    /// <param name="reason">ONNX Runtime's explanation.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public DeviceUnavailableException(Device device, string reason, Exception? innerException = null)
        : base($"Execution provider for device '{device}' cannot start: {reason}", innerException)
    {
        Device = device;
        Reason = reason;
    }

    /// <summary>The device that was asked for.</summary>
    public Device Device { get; }

    /// <summary>ONNX Runtime's explanation.</summary>
    public string Reason { get; }
}
