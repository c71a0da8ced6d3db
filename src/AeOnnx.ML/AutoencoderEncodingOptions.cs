namespace AeOnnx.ML;

/// <summary>Options for <see cref="AutoencoderTransforms.Encode(AutoencoderEncodingOptions)"/>: pixel vector to latent vector.</summary>
public sealed class AutoencoderEncodingOptions : AutoencoderColumnOptions
{
    /// <summary>The normalized pixel vector column, Vector&lt;Single, C·H·W&gt;, or an ML.NET <c>MLImage</c> column (then the core preprocesses each image; see <see cref="AutoencoderColumnOptions.BadImages"/>). Default "Pixels".</summary>
    public override string InputColumnName { get; set; } = "Pixels";

    /// <summary>The latent column to add, Vector&lt;Single, D&gt; (a VAE's mean). Default "Latent".</summary>
    public override string OutputColumnName { get; set; } = "Latent";
}
