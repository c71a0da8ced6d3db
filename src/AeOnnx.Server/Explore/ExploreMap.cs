using AeOnnx.Server.Endpoints;

namespace AeOnnx.Server.Explore;

/// <summary>
/// The explore set under one model generation: every point's latent and its places on the two maps
/// (PCA, and the UMAP-style <see cref="NeighborEmbedding"/>). Immutable; computed once per generation.
/// </summary>
internal sealed class ExploreMap
{
    public ExploreMap(int generation, string modelName, int dim, int[] items, float[] latents, LatentPca pca, float[] pcaLayout, float[] umapLayout, string[] labelNames, int skipped, TimeSpan encodeTime, TimeSpan projectTime)
    {
        Generation = generation;
        ModelName = modelName;
        Dim = dim;
        Items = items;
        Latents = latents;
        Rows = Enumerable.Range(0, items.Length).Select(p => latents.AsSpan(p * dim, dim).ToArray()).ToArray();
        Pca = pca;
        PcaLayout = pcaLayout;
        UmapLayout = umapLayout;
        LabelNames = labelNames;
        Skipped = skipped;
        EncodeTime = encodeTime;
        ProjectTime = projectTime;
    }

    public int Generation { get; }

    public string ModelName { get; }

    public int Dim { get; }

    /// <summary>For each point, its image's index in the <see cref="ExploreSet"/> (images that failed to load are not points).</summary>
    public int[] Items { get; }

    public int Count => Items.Length;

    /// <summary>Count × Dim floats.</summary>
    public float[] Latents { get; }

    /// <summary>The same latents, one array per point (what the core's nearest-neighbour search takes).</summary>
    public float[][] Rows { get; }

    public LatentPca Pca { get; }

    /// <summary>x0, y0, x1, y1, …</summary>
    public float[] PcaLayout { get; }

    /// <summary>x0, y0, x1, y1, …</summary>
    public float[] UmapLayout { get; }

    /// <summary>Names of the label indices the points carry.</summary>
    public string[] LabelNames { get; }

    /// <summary>Images of the set that could not be loaded under this model.</summary>
    public int Skipped { get; }

    public TimeSpan EncodeTime { get; }

    public TimeSpan ProjectTime { get; }

    public ReadOnlySpan<float> Latent(int point) => Latents.AsSpan(point * Dim, Dim);

    /// <summary>The <paramref name="k"/> points nearest to <paramref name="query"/> (Euclidean), nearest first.</summary>
    public List<(int Index, double Distance)> Nearest(ReadOnlySpan<float> query, int k) =>
        AeOnnx.Latents.LatentMath.Nearest(query, Rows, k).Select(n => (n.Index, n.Distance)).ToList();
}
