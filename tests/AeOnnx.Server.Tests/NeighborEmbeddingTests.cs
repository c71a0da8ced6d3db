using AeOnnx.Server.Endpoints;
using AeOnnx.Server.Explore;

namespace AeOnnx.Server.Tests;

/// <summary>The UMAP-style map against what it is for: keeping neighbourhoods that a linear 2-D projection cannot.</summary>
public sealed class NeighborEmbeddingTests
{
    /// <summary>
    /// Ten clusters told apart only by 10 dimensions of small spread (the corners of a regular simplex),
    /// while two more dimensions hold a wide spread that every cluster shares: PCA's plane is those two,
    /// where the clusters lie on top of each other; each point's nearest neighbours are still its own cluster's.
    /// </summary>
    private static (float[] Points, int[] Labels) Clusters(int perCluster, int seed)
    {
        const int d = 12;
        var random = new Random(seed);
        var count = 10 * perCluster;
        var points = new float[count * d];
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = i % 10;
            for (var j = 0; j < d; j++)
            {
                var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                points[(i * d) + j] = (float)(j < 2 ? 3 * gaussian : (j - 2 == labels[i] ? 4.0 : 0.0) + (0.15 * gaussian));
            }
        }

        return (points, labels);
    }

    /// <summary>Share of points whose 5 nearest neighbours in the 2-D layout are mostly of their own cluster.</summary>
    private static double NeighbourAgreement(float[] layout, int[] labels)
    {
        var count = labels.Length;
        var agree = 0;
        for (var i = 0; i < count; i++)
        {
            var nearest = Enumerable.Range(0, count).Where(j => j != i)
                .OrderBy(j => Math.Pow(layout[2 * i] - layout[2 * j], 2) + Math.Pow(layout[(2 * i) + 1] - layout[(2 * j) + 1], 2))
                .Take(5);
            agree += nearest.Count(j => labels[j] == labels[i]) >= 3 ? 1 : 0;
        }

        return (double)agree / count;
    }

    private static float[] PcaLayout(float[] points, int count, int d)
    {
        var rows = Enumerable.Range(0, count).Select(i => points.AsSpan(i * d, d).ToArray()).ToArray();
        var pca = LatentPca.Fit(rows);
        var layout = new float[count * 2];
        for (var i = 0; i < count; i++)
        {
            (var x, var y) = pca.Project(rows[i]);
            (layout[2 * i], layout[(2 * i) + 1]) = ((float)x, (float)y);
        }

        return layout;
    }

    [Fact]
    public void Separates_ten_clusters_that_the_pca_plane_overlaps()
    {
        var (points, labels) = Clusters(60, seed: 1);
        var pca = PcaLayout(points, labels.Length, 12);
        var layout = NeighborEmbedding.Fit(points, labels.Length, 12, pca, seed: 0, CancellationToken.None);

        var pcaAgreement = NeighbourAgreement(pca, labels);
        var umapAgreement = NeighbourAgreement(layout, labels);
        Assert.True(umapAgreement >= 0.98, $"UMAP-style layout keeps {umapAgreement:P1} of neighbourhoods");
        Assert.True(pcaAgreement < 0.5, $"PCA keeps {pcaAgreement:P1}: the data set does not test what it should");
        Assert.All(layout, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Is_deterministic_for_a_seed_and_leaves_the_start_layout_unchanged()
    {
        var (points, labels) = Clusters(20, seed: 2);
        var pca = PcaLayout(points, labels.Length, 12);
        var copy = pca.ToArray();
        var first = NeighborEmbedding.Fit(points, labels.Length, 12, pca, seed: 7, CancellationToken.None);
        var second = NeighborEmbedding.Fit(points, labels.Length, 12, pca, seed: 7, CancellationToken.None);
        Assert.Equal(first, second);
        Assert.Equal(copy, pca);
    }

    [Fact]
    public void Nearest_neighbours_are_exact_and_exclude_the_point_itself()
    {
        var (points, _) = Clusters(15, seed: 3);
        const int d = 12;
        var count = points.Length / d;
        var (index, distance) = NeighborEmbedding.NearestNeighbors(points, count, d, 4, CancellationToken.None);
        for (var i = 0; i < count; i++)
        {
            var expected = Enumerable.Range(0, count).Where(j => j != i)
                .Select(j => (j, Distance: Math.Sqrt(Enumerable.Range(0, d).Sum(c => Math.Pow(points[(i * d) + c] - points[(j * d) + c], 2)))))
                .OrderBy(t => t.Distance).ThenBy(t => t.j).Take(4).ToArray();
            Assert.Equal(expected.Select(e => e.j), index.AsSpan(i * 4, 4).ToArray());
            for (var n = 0; n < 4; n++)
            {
                Assert.Equal(expected[n].Distance, distance[(i * 4) + n], 4);
            }
        }
    }

    [Fact]
    public void Stops_when_cancelled()
    {
        var (points, labels) = Clusters(20, seed: 4);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => NeighborEmbedding.Fit(points, labels.Length, 12, PcaLayout(points, labels.Length, 12), 0, cancelled.Token));
    }
}
