namespace AeOnnx.Server.Endpoints.Explore;

/// <summary>A place on a 2-D map.</summary>
internal sealed record ExplorePlace(float X, float Y);
