namespace AeOnnx.Server.Endpoints.Explore;

/// <summary>
/// POST /v1/explore/neighbors: the uploaded image's latent, where it falls on both maps (PCA: its exact
/// projection; UMAP-style: the inverse-distance-weighted mean of its neighbours' places) and its k nearest points.
/// </summary>
internal sealed record ExploreNeighbors(int Generation, string Name, float[] Latent, ExplorePlace Pca, ExplorePlace Umap, IReadOnlyList<ExploreNeighbor> Neighbors);
