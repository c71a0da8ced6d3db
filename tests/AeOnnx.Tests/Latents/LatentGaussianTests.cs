using AeOnnx.Latents;

namespace AeOnnx.Tests.Latents;

public sealed class LatentGaussianTests
{
    // Σ = L·Lᵀ with L = [[2, 0], [1, 3]] → Σ = [[4, 2], [2, 10]].
    private static readonly float[] Mean = [1f, -1f];
    private static readonly float[][] L = [[2f, 0f], [1f, 3f]];

    [Fact]
    public void Same_seed_gives_same_samples_and_different_seeds_differ()
    {
        var gaussian = new LatentGaussian(Mean, L);
        var first = gaussian.Sample(5, seed: 42);
        var again = gaussian.Sample(5, seed: 42);
        var other = gaussian.Sample(5, seed: 43);
        Assert.Equal(first, again);
        Assert.NotEqual(first[0], other[0]);
    }

    [Fact]
    public void Samples_are_mean_plus_cholesky_times_standard_normal()
    {
        var gaussian = new LatentGaussian(Mean, L);
        var z = new GaussianRandom(5);
        var (z0, z1) = (z.NextGaussian(), z.NextGaussian());
        var sample = gaussian.Sample(1, 5)[0];
        Assert.Equal(1 + (2 * z0), sample[0], 5);
        Assert.Equal(-1 + z0 + (3 * z1), sample[1], 5);
    }

    [Fact]
    public void Sample_moments_match_the_covariance()
    {
        var samples = new LatentGaussian(Mean, L).Sample(20000, seed: 1);
        var m0 = samples.Average(s => s[0]);
        var m1 = samples.Average(s => s[1]);
        var c00 = samples.Average(s => (s[0] - m0) * (s[0] - m0));
        var c01 = samples.Average(s => (s[0] - m0) * (s[1] - m1));
        var c11 = samples.Average(s => (s[1] - m1) * (s[1] - m1));
        Assert.InRange(m0, 0.9, 1.1);
        Assert.InRange(m1, -1.15, -0.85);
        Assert.InRange(c00, 3.7, 4.3);
        Assert.InRange(c01, 1.7, 2.3);
        Assert.InRange(c11, 9.4, 10.6);
    }

    [Fact]
    public void Standard_normal_moments()
    {
        var samples = LatentGaussian.Standard(3).Sample(20000, seed: 9);
        foreach (var d in Enumerable.Range(0, 3))
        {
            Assert.InRange(samples.Average(s => s[d]), -0.05, 0.05);
            Assert.InRange(samples.Average(s => s[d] * s[d]), 0.95, 1.05);
        }
    }

    [Fact]
    public void Mahalanobis_matches_the_inverse_covariance_formula()
    {
        var gaussian = new LatentGaussian(Mean, L);
        float[] x = [3f, 4f];

        // Σ⁻¹ = 1/36 · [[10, −2], [−2, 4]]; d = x − mean = (2, 5).
        double d0 = 2, d1 = 5;
        var squared = ((10 * d0 * d0) - (2 * 2 * d0 * d1) + (4 * d1 * d1)) / 36.0;
        Assert.Equal(Math.Sqrt(squared), gaussian.Mahalanobis(x), 9);
        Assert.Equal(0.0, gaussian.Mahalanobis(Mean), 9);
        Assert.Equal(Math.Sqrt(2), LatentGaussian.Standard(2).Mahalanobis([1f, -1f]), 9);
    }

    [Fact]
    public void Refuses_a_factor_that_is_not_lower_triangular_or_has_a_bad_diagonal()
    {
        Assert.Throws<ArgumentException>(() => new LatentGaussian(Mean, [[2f, 1f], [1f, 3f]]));
        Assert.Throws<ArgumentException>(() => new LatentGaussian(Mean, [[0f, 0f], [1f, 3f]]));
        Assert.Throws<ArgumentException>(() => new LatentGaussian(Mean, [[2f, 0f]]));
    }
}
