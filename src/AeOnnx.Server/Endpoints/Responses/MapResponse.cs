namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of GET /v1/map: the class centroids projected on their first two principal components (mean and components given), with decoded thumbnails.</summary>
internal sealed record MapResponse(float[] Mean, float[][] Components, IReadOnlyList<MapPoint> Points);
