namespace AeOnnx.ML;

/// <summary>Settings shared by the AeOnnx estimators that run a model.</summary>
public abstract class AutoencoderColumnOptions
{
    /// <summary>
    /// The model folder (manifest.json, encoder.onnx, decoder.onnx). Required; no default.
    /// Only apply models from trusted sources: an ONNX graph is code-like input to ONNX Runtime.
    /// </summary>
    public string ModelDirectory { get; set; } = "";

    /// <summary>Where the graphs run: <see cref="Device.Auto"/> (default: CUDA when available, else CPU), <see cref="Device.Cpu"/> or <see cref="Device.Cuda(int)"/>.</summary>
    public Device Device { get; set; } = Device.Auto;

    /// <summary>Rows per ONNX Runtime call when the transformer runs over an IDataView. Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Name of the column the estimator adds.</summary>
    public abstract string OutputColumnName { get; set; }

    /// <summary>Name of the column the estimator reads.</summary>
    public abstract string InputColumnName { get; set; }
}
