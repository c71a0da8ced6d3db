using AeOnnx.Latents;

namespace AeOnnx.Tests.Latents;

/// <summary>Interpolation and arithmetic checked against values computed here from the textbook formulas.</summary>
public sealed class LatentMathTests
{
    private static readonly float[] A = [1f, 2f, -3f, 0.5f];
    private static readonly float[] B = [-2f, 0.25f, 4f, 1f];

    [Fact]
    public void Lerp_weights_a_by_one_minus_t()
    {
        Assert.Equal(A, LatentMath.Lerp(A, B, 0f));
        Assert.Equal(B, LatentMath.Lerp(A, B, 1f));
        var quarter = LatentMath.Lerp(A, B, 0.25f);
        for (var i = 0; i < A.Length; i++)
        {
            Assert.Equal((0.75 * A[i]) + (0.25 * B[i]), quarter[i], 6);
        }
    }

    [Fact]
    public void Slerp_hits_both_endpoints()
    {
        AssertClose(A, LatentMath.Slerp(A, B, 0f));
        AssertClose(B, LatentMath.Slerp(A, B, 1f));
    }

    [Fact]
    public void Slerp_of_orthogonal_unit_vectors_follows_the_circle()
    {
        float[] x = [1f, 0f, 0f];
        float[] y = [0f, 1f, 0f];
        foreach (var t in new[] { 0.1f, 0.25f, 0.5f, 0.9f })
        {
            var p = LatentMath.Slerp(x, y, t);
            var angle = t * Math.PI / 2;
            Assert.Equal(Math.Cos(angle), p[0], 6);
            Assert.Equal(Math.Sin(angle), p[1], 6);
            Assert.Equal(0.0, p[2], 6);
        }
    }

    [Fact]
    public void Slerp_keeps_unit_vectors_on_the_unit_sphere()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 50; trial++)
        {
            var a = Unit(random, 16);
            var b = Unit(random, 16);
            for (var t = 0f; t <= 1f; t += 0.125f)
            {
                Assert.Equal(1.0, LatentMath.Norm(LatentMath.Slerp(a, b, t)), 5);
            }
        }
    }

    [Fact]
    public void Slerp_matches_the_formula_with_interpolated_norm()
    {
        var t = 0.3;
        var na = Math.Sqrt(A.Sum(v => (double)v * v));
        var nb = Math.Sqrt(B.Sum(v => (double)v * v));
        var theta = Math.Acos(A.Zip(B, (p, q) => (double)p * q).Sum() / (na * nb));
        var norm = ((1 - t) * na) + (t * nb);
        var result = LatentMath.Slerp(A, B, (float)t);
        for (var i = 0; i < A.Length; i++)
        {
            var direction = ((Math.Sin((1 - t) * theta) * A[i] / na) + (Math.Sin(t * theta) * B[i] / nb)) / Math.Sin(theta);
            Assert.Equal(norm * direction, result[i], 5);
        }
    }

    [Fact]
    public void Slerp_of_parallel_vectors_falls_back_to_lerp_with_the_right_weights()
    {
        float[] a = [1f, 2f, 3f];
        float[] b = [3f, 6f, 9f]; // same direction, three times longer
        var p = LatentMath.Slerp(a, b, 0.25f);

        // (1 − t)·a + t·b = 0.75·a + 0.25·b = 1.5·a; the swapped-weights bug would give 2.5·a.
        AssertClose([1.5f, 3f, 4.5f], p);

        float[] nearly = [1f, 2f, 3.0000001f];
        AssertClose(LatentMath.Lerp(a, nearly, 0.1f), LatentMath.Slerp(a, nearly, 0.1f));
        Assert.All(LatentMath.Slerp(a, a, 0.7f).Zip(a), pair => Assert.Equal(pair.Second, pair.First, 5));
    }

    [Fact]
    public void Slerp_with_a_zero_vector_is_lerp()
    {
        float[] zero = [0f, 0f, 0f];
        float[] b = [2f, -2f, 1f];
        AssertClose([1f, -1f, 0.5f], LatentMath.Slerp(zero, b, 0.5f));
    }

    [Fact]
    public void Path_has_n_points_per_segment_and_every_key_once()
    {
        float[] k0 = [0f, 0f];
        float[] k1 = [4f, 0f];
        float[] k2 = [4f, 8f];
        var path = LatentMath.Path([k0, k1, k2], 4, InterpolationMode.Linear);
        Assert.Equal(9, path.Length);
        Assert.Equal(k0, path[0]);
        Assert.Equal([1f, 0f], path[1]);
        Assert.Equal(k1, path[4]);
        Assert.Equal([4f, 2f], path[5]);
        Assert.Equal(k2, path[8]);

        var spherical = LatentMath.Path([k1, k2], 3, InterpolationMode.Spherical);
        Assert.Equal(4, spherical.Length);
        AssertClose(k2, spherical[^1]);
        Assert.Single(LatentMath.Path([k0], 5));
        Assert.Throws<ArgumentException>(() => LatentMath.Path([k0, [1f]], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatentMath.Path([k0, k1], 0));
    }

    [Fact]
    public void Arithmetic_and_centroid()
    {
        float[] c = [10f, 10f, 10f, 10f];
        var analogy = LatentMath.Analogy(A, B, c);
        for (var i = 0; i < A.Length; i++)
        {
            Assert.Equal(A[i] - B[i] + c[i], analogy[i], 6);
        }

        Assert.Equal([-1f, 2.25f, 1f, 1.5f], LatentMath.Add(A, B));
        Assert.Equal([3f, 1.75f, -7f, -0.5f], LatentMath.Subtract(A, B));
        Assert.Equal([2f, 4f, -6f, 1f], LatentMath.Scale(A, 2f));
        Assert.Equal([-0.5f, 1.125f, 0.5f, 0.75f], LatentMath.Centroid([A, B]));
        Assert.Throws<ArgumentException>(() => LatentMath.Centroid([]));
        Assert.Throws<ArgumentException>(() => LatentMath.Add(A, [1f]));
    }

    [Fact]
    public void Nearest_by_euclidean_and_cosine()
    {
        float[] query = [1f, 0f];
        float[][] candidates = [[10f, 0.5f], [0f, 1f], [1.5f, 0.2f], [-1f, 0f]];
        var euclidean = LatentMath.Nearest(query, candidates, 2);
        Assert.Equal([2, 1], euclidean.Select(n => n.Index));
        Assert.Equal(Math.Sqrt((0.5 * 0.5) + (0.2 * 0.2)), euclidean[0].Distance, 6);
        Assert.Equal(Math.Sqrt(2), euclidean[1].Distance, 6);

        var cosine = LatentMath.Nearest(query, candidates, 4, DistanceMetric.Cosine);
        Assert.Equal([0, 2, 1, 3], cosine.Select(n => n.Index));
        Assert.Equal(1 - (10 / Math.Sqrt(100.25)), cosine[0].Distance, 6);
        Assert.Equal(2.0, cosine[3].Distance, 6);
        Assert.Equal(4, LatentMath.Nearest(query, candidates, 10).Count);
    }

    private static float[] Unit(Random random, int d)
    {
        var v = Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var n = (float)LatentMath.Norm(v);
        return v.Select(x => x / n).ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 5);
        }
    }
}
