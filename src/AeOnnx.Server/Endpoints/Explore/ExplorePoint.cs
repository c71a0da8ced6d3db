namespace AeOnnx.Server.Endpoints.Explore;

/// <summary>GET /v1/explore/points/{index}: one point's image (what the model sees, a PNG data URL), latent and places on both maps.</summary>
internal sealed record ExplorePoint(int Generation, int Index, string Name, int Label, string? LabelName, float[] Latent, ExplorePlace Pca, ExplorePlace Umap, string Image);
