namespace AeOnnx.ML;

/// <summary>Options for <see cref="AeOnnxCatalog.LoadAutoencoderImages(Microsoft.ML.TransformsCatalog, AutoencoderImageLoadingOptions)"/>: image file paths to the model's normalized pixel vector.</summary>
public sealed class AutoencoderImageLoadingOptions : AutoencoderColumnOptions
{
    /// <summary>A text column of image file paths (PNG, JPEG, BMP, GIF). Default "ImagePath".</summary>
    public override string InputColumnName { get; set; } = "ImagePath";

    /// <summary>The pixel vector column to add: Vector&lt;Single, C·H·W&gt;, normalized, NCHW. Default "Pixels".</summary>
    public override string OutputColumnName { get; set; } = "Pixels";
}
