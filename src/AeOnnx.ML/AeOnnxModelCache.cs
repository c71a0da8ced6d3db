using AeOnnx.ML.Internal;

namespace AeOnnx.ML;

/// <summary>
/// Who disposes what: the AeOnnx estimators and transformers (and the mappings of a loaded
/// pipeline) do not own ONNX Runtime sessions. Each model folder is loaded once per process and
/// device into this cache and shared by every transformer that uses it (sessions are thread-safe).
/// Call <see cref="Clear"/> when no AeOnnx transformer will run any more, e.g. at shutdown or before
/// replacing model files; a transformer used after that loads its model again and checks it under
/// its <see cref="AutoencoderModelPolicy"/> before computing a row (a model of other shapes is always
/// refused). For a service that swaps models while predictions run, bind the pipeline to an
/// <see cref="AutoencoderHost"/> with <see cref="AutoencoderModelBinding"/> instead of clearing.
/// </summary>
public static class AeOnnxModelCache
{
    /// <summary>Disposes and forgets every cached model.</summary>
    /// <returns>How many models were disposed.</returns>
    public static int Clear() => ModelCache.Clear();
}
