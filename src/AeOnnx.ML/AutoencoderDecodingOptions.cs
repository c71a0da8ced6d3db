namespace AeOnnx.ML;

/// <summary>Options for <see cref="AutoencoderTransforms.Decode(AutoencoderDecodingOptions)"/>: latent vector to pixel vector.</summary>
public sealed class AutoencoderDecodingOptions : AutoencoderColumnOptions
{
    /// <summary>The latent column, Vector&lt;Single, D&gt;. Default "Latent".</summary>
    public override string InputColumnName { get; set; } = "Latent";

    /// <summary>The raw decoder output column to add, Vector&lt;Single, C·H·W&gt; in normalized space. Default "Decoded".</summary>
    public override string OutputColumnName { get; set; } = "Decoded";
}
