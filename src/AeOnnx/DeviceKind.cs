namespace AeOnnx;

/// <summary>Which ONNX Runtime execution provider a <see cref="Device"/> asks for.</summary>
public enum DeviceKind
{
    /// <summary>CUDA when it can start, otherwise CPU.</summary>
    Auto,

    /// <summary>The CPU execution provider.</summary>
    Cpu,

    /// <summary>The CUDA execution provider on one GPU; fails if it cannot start.</summary>
    Cuda,
}
