namespace AeOnnx.Imaging;

/// <summary>How an <see cref="ImageData"/> lays out one pixel (interleaved, rows top to bottom, no padding).</summary>
public enum ImagePixelFormat
{
    /// <summary>One byte: gray.</summary>
    Gray8,

    /// <summary>Three bytes: R, G, B.</summary>
    Rgb24,

    /// <summary>Four bytes: R, G, B, A (alpha not premultiplied).</summary>
    Rgba32,

    /// <summary>Four bytes: B, G, R, A (alpha not premultiplied), as ML.NET's <c>MLImage</c> and many decoders hold them.</summary>
    Bgra32,

    /// <summary>Eight bytes: R, G, B, A as 16-bit little-endian values (a 16-bit source; the contract reduces each by <c>v &gt;&gt; 8</c>).</summary>
    Rgba64,
}
