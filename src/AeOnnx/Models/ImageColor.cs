namespace AeOnnx.Models;

/// <summary>The manifest's <c>input.color</c>: the color the encoder expects.</summary>
public enum ImageColor
{
    /// <summary><c>gray</c>: one channel, converted from RGB by the integer BT.601 rule.</summary>
    Gray,

    /// <summary><c>rgb</c>: three channels, R, G, B planes in that order.</summary>
    Rgb,
}
