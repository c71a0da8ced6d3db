namespace AeOnnx.ML;

/// <summary>Options for <see cref="AutoencoderTransforms.ReconstructionError(AutoencoderReconstructionErrorOptions)"/>: per-row reconstruction MSE, an anomaly score.</summary>
public sealed class AutoencoderReconstructionErrorOptions : AutoencoderColumnOptions
{
    /// <summary>The normalized pixel vector column, Vector&lt;Single, C·H·W&gt;, or an ML.NET <c>MLImage</c> column (then the core preprocesses each image; see <see cref="AutoencoderColumnOptions.BadImages"/>). Default "Pixels".</summary>
    public override string InputColumnName { get; set; } = "Pixels";

    /// <summary>The Single column to add: mean squared error between input and reconstruction in [0,1] pixel space (the core's MeasureError). Default "ReconstructionError".</summary>
    public override string OutputColumnName { get; set; } = "ReconstructionError";
}
