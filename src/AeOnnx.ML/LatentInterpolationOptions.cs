using AeOnnx.Latents;

namespace AeOnnx.ML;

/// <summary>Options for <see cref="AutoencoderTransforms.InterpolateLatents(LatentInterpolationOptions)"/>: a point between two latent columns.</summary>
public sealed class LatentInterpolationOptions
{
    /// <summary>The start latent column (t = 0), Vector&lt;Single, D&gt;. Default "Latent".</summary>
    public string FirstColumnName { get; set; } = "Latent";

    /// <summary>The end latent column (t = 1), Vector&lt;Single, D&gt; of the same size. Default "OtherLatent".</summary>
    public string SecondColumnName { get; set; } = "OtherLatent";

    /// <summary>The column to add, Vector&lt;Single, D&gt;. Default "Interpolated".</summary>
    public string OutputColumnName { get; set; } = "Interpolated";

    /// <summary>Position between the two latents: 0 gives the first, 1 the second; values outside [0,1] extrapolate. Default 0.5.</summary>
    public float T { get; set; } = 0.5f;

    /// <summary>Straight line (<see cref="InterpolationMode.Linear"/>) or great circle (<see cref="InterpolationMode.Spherical"/>, default), as the core's <see cref="LatentMath"/>.</summary>
    public InterpolationMode Mode { get; set; } = InterpolationMode.Spherical;
}
