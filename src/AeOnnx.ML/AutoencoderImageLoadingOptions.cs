namespace AeOnnx.ML;

/// <summary>Options for <see cref="AutoencoderTransforms.LoadImages(AutoencoderImageLoadingOptions)"/>: image file paths (or ML.NET images) to the model's normalized pixel vector.</summary>
public sealed class AutoencoderImageLoadingOptions : AutoencoderColumnOptions
{
    /// <summary>A text column of image file paths (the formats of <see cref="Imaging.ImageFormats"/>), or an ML.NET <c>MLImage</c> column from ML.NET's <c>LoadImages</c>. Default "ImagePath".</summary>
    public override string InputColumnName { get; set; } = "ImagePath";

    /// <summary>The pixel vector column to add: Vector&lt;Single, C·H·W&gt;, normalized, NCHW. Default "Pixels".</summary>
    public override string OutputColumnName { get; set; } = "Pixels";

    /// <summary>The folder relative paths are resolved against (as ML.NET's <c>LoadImages</c> <c>imageFolder</c>); null or empty (default): as given (relative to the current directory). Saved with the pipeline as given.</summary>
    public string? ImageFolder { get; set; }
}
