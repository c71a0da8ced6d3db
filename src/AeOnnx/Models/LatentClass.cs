namespace AeOnnx.Models;

/// <summary>One entry of <c>latent.classes</c>: a labelled class and the centroid of its latents.</summary>
public sealed record LatentClass
{
    /// <summary>Class label, e.g. <c>Ankle boot</c>; never empty.</summary>
    public required string Label { get; init; }

    /// <summary>Class index in the training data set.</summary>
    public int Index { get; init; }

    /// <summary>Number of training images of this class.</summary>
    public int Count { get; init; }

    /// <summary>Mean latent of the class; D finite values.</summary>
    public required IReadOnlyList<float> Centroid { get; init; }
}
