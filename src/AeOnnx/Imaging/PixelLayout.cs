namespace AeOnnx.Imaging;

/// <summary>How <see cref="DecodedPixels"/> stores a pixel.</summary>
internal enum PixelLayout
{
    /// <summary>One byte per pixel (a gray source decoded as gray).</summary>
    Gray8,

    /// <summary>R, G, B, A bytes, alpha not premultiplied.</summary>
    Rgba8888,

    /// <summary>
    /// R, G, B, A as float32 in [0, 1], unpremultiplied: the exact carrier of a 16-bit source,
    /// whose channels the contract reduces by <c>v &gt;&gt; 8</c> (Skia's own 16→8 rounds).
    /// </summary>
    RgbaF32,
}
