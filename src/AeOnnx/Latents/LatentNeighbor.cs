namespace AeOnnx.Latents;

/// <summary>One result of <see cref="LatentMath.Nearest"/>: a candidate's index and its distance to the query.</summary>
/// <param name="Index">Index of the candidate in the list searched.</param>
/// <param name="Distance">Distance to the query under the metric used.</param>
public readonly record struct LatentNeighbor(int Index, double Distance);
