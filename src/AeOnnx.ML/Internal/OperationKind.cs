namespace AeOnnx.ML.Internal;

/// <summary>What one AeOnnx column mapping computes.</summary>
internal enum OperationKind
{
    LoadImages,
    Encode,
    Decode,
    Reconstruct,
    ReconstructionError,
    Interpolate,
    AnomalyScore,
}
