using AeOnnx.Latents;

namespace AeOnnx.Anomaly;

/// <summary>
/// The reference latents of the <see cref="AnomalyScore.LatentKnn"/> score (the training images' encoder outputs,
/// the manifest's <c>anomaly.latent_knn</c> file), whitened once by the model's latent Gaussian: the score of a
/// latent is the mean Euclidean distance, in that whitened space, to its <see cref="K"/> nearest references.
/// Immutable and thread-safe.
/// </summary>
public sealed class LatentNeighbours
{
    private readonly double[] _whitened;
    private readonly LatentGaussian _gaussian;

    /// <summary>Whitens the references.</summary>
    /// <param name="k">How many nearest references are averaged, 1 to <paramref name="count"/>.</param>
    /// <param name="latents">count × D floats, row-major (raw encoder outputs).</param>
    /// <param name="count">How many references.</param>
    /// <param name="gaussian">The latent Gaussian whose Cholesky factor whitens them.</param>
    /// <exception cref="ArgumentException">Sizes disagree or k is out of range.</exception>
    public LatentNeighbours(int k, ReadOnlySpan<float> latents, int count, LatentGaussian gaussian)
    {
        ArgumentNullException.ThrowIfNull(gaussian);
        var d = gaussian.Dimension;
        if (count < 1 || latents.Length != (long)count * d)
        {
            throw new ArgumentException($"Expected {count} references of {d} floats, got {latents.Length} floats.", nameof(latents));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, count);
        _gaussian = gaussian;
        _whitened = new double[count * d];
        for (var i = 0; i < count; i++)
        {
            gaussian.Whiten(latents.Slice(i * d, d), _whitened.AsSpan(i * d, d));
        }

        K = k;
        Count = count;
    }

    /// <summary>How many nearest references the score averages.</summary>
    public int K { get; }

    /// <summary>How many references.</summary>
    public int Count { get; }

    /// <summary>The mean whitened distance from a latent to its <see cref="K"/> nearest references.</summary>
    /// <param name="latent">D floats (the encoder's output; a VAE's mean).</param>
    /// <returns>The distance, 0 or more.</returns>
    public double Distance(ReadOnlySpan<float> latent)
    {
        var d = _gaussian.Dimension;
        var q = d <= 256 ? stackalloc double[d] : new double[d];
        _gaussian.Whiten(latent, q);

        // the k smallest squared distances, ascending (k is small: insertion into a short sorted list)
        var nearest = K <= 64 ? stackalloc double[K] : new double[K];
        nearest.Fill(double.PositiveInfinity);
        for (var i = 0; i < Count; i++)
        {
            var row = _whitened.AsSpan(i * d, d);
            var squared = 0.0;
            for (var j = 0; j < d; j++)
            {
                var diff = q[j] - row[j];
                squared += diff * diff;
            }

            if (squared < nearest[K - 1])
            {
                var at = K - 1;
                while (at > 0 && nearest[at - 1] > squared)
                {
                    nearest[at] = nearest[at - 1];
                    at--;
                }

                nearest[at] = squared;
            }
        }

        var total = 0.0;
        foreach (var s in nearest)
        {
            total += Math.Sqrt(s);
        }

        return total / K;
    }
}
