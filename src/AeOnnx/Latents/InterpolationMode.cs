namespace AeOnnx.Latents;

/// <summary>How <see cref="LatentMath.Path"/> moves between key latents.</summary>
public enum InterpolationMode
{
    /// <summary>Straight line: <see cref="LatentMath.Lerp(ReadOnlySpan{float}, ReadOnlySpan{float}, float)"/>.</summary>
    Linear,

    /// <summary>Great circle with interpolated norm: <see cref="LatentMath.Slerp(ReadOnlySpan{float}, ReadOnlySpan{float}, float)"/>.</summary>
    Spherical,
}
