namespace AeOnnx.Server.Endpoints.Explore;

/// <summary>
/// GET /v1/explore/points: every point on one projection, as parallel arrays (compact for 10,000+ points):
/// <c>x[i]</c>, <c>y[i]</c>, <c>label[i]</c> (an index into <c>labels</c>, -1 for none) and <c>name[i]</c>.
/// </summary>
internal sealed record ExplorePoints(int Generation, string Model, string Projection, int Count, IReadOnlyList<string> Labels, float[] X, float[] Y, int[] Label, IReadOnlyList<string> Name);
