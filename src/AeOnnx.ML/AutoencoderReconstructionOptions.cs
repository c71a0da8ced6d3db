namespace AeOnnx.ML;

/// <summary>Options for <see cref="AutoencoderTransforms.Reconstruct(AutoencoderReconstructionOptions)"/>: pixel vector through encoder and decoder.</summary>
public sealed class AutoencoderReconstructionOptions : AutoencoderColumnOptions
{
    /// <summary>The normalized pixel vector column, Vector&lt;Single, C·H·W&gt;, or an ML.NET <c>MLImage</c> column (then the core preprocesses each image; see <see cref="AutoencoderColumnOptions.BadImages"/>). Default "Pixels".</summary>
    public override string InputColumnName { get; set; } = "Pixels";

    /// <summary>The reconstruction column to add, Vector&lt;Single, C·H·W&gt; in normalized space. Default "Reconstruction".</summary>
    public override string OutputColumnName { get; set; } = "Reconstruction";
}
