namespace AeOnnx.Models;

/// <summary>The manifest's <c>input.resize</c>: the resampler used when an image is not model size.</summary>
public enum ResizeMethod
{
    /// <summary><c>bilinear</c> (PIL's <c>Image.BILINEAR</c>, a triangle filter with support scaled on downsampling).</summary>
    Bilinear,

    /// <summary><c>bicubic</c> (PIL's <c>Image.BICUBIC</c>).</summary>
    Bicubic,

    /// <summary><c>nearest</c> (PIL's <c>Image.NEAREST</c>).</summary>
    Nearest,
}
