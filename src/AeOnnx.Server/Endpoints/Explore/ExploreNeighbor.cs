namespace AeOnnx.Server.Endpoints.Explore;

/// <summary>One of the nearest points to an uploaded image: its index on the map, name, label, latent distance and image.</summary>
internal sealed record ExploreNeighbor(int Index, string Name, int Label, string? LabelName, double Distance, string Image);
