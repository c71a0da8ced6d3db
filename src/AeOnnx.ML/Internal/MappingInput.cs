namespace AeOnnx.ML.Internal;

/// <summary>What a mapping's input column holds.</summary>
internal enum MappingInput
{
    /// <summary>Vector&lt;Single, n&gt; (pixels or latents).</summary>
    Vector,

    /// <summary>Text: an image file path.</summary>
    Path,

    /// <summary>An ML.NET <c>MLImage</c> (from ML.NET's <c>LoadImages</c>).</summary>
    Image,
}
