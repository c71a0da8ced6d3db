namespace AeOnnx.Latents;

/// <summary>
/// A Gaussian over latent space given by its mean and lower-triangular Cholesky factor L
/// (covariance = L·Lᵀ): samples <c>mean + L·z</c> and Mahalanobis distances (outlier scores).
/// Immutable and thread-safe.
/// </summary>
public sealed class LatentGaussian
{
    private readonly double[] _mean;
    private readonly double[] _cholesky;

    /// <summary>Creates the distribution.</summary>
    /// <param name="mean">Mean, length D.</param>
    /// <param name="cholesky">Lower-triangular L, D rows of D values, positive diagonal.</param>
    /// <exception cref="ArgumentException">Sizes disagree, L is not lower-triangular, or its diagonal is not positive.</exception>
    public LatentGaussian(IReadOnlyList<float> mean, IReadOnlyList<IReadOnlyList<float>> cholesky)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(cholesky);
        var d = mean.Count;
        if (d == 0)
        {
            throw new ArgumentException("The mean is empty.", nameof(mean));
        }

        if (cholesky.Count != d)
        {
            throw new ArgumentException($"The Cholesky factor has {cholesky.Count} rows, expected {d}.", nameof(cholesky));
        }

        _mean = mean.Select(v => (double)v).ToArray();
        _cholesky = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            var row = cholesky[i] ?? throw new ArgumentException($"Row {i} of the Cholesky factor is null.", nameof(cholesky));
            if (row.Count != d)
            {
                throw new ArgumentException($"Row {i} of the Cholesky factor has {row.Count} values, expected {d}.", nameof(cholesky));
            }

            for (var j = 0; j < d; j++)
            {
                var v = row[j];
                if (j > i && v != 0f)
                {
                    throw new ArgumentException($"The Cholesky factor is not lower-triangular: L[{i}][{j}] = {v}.", nameof(cholesky));
                }

                _cholesky[(i * d) + j] = v;
            }

            if (!(row[i] > 0f))
            {
                throw new ArgumentException($"The Cholesky factor's diagonal must be positive: L[{i}][{i}] = {row[i]}.", nameof(cholesky));
            }
        }

        Dimension = d;
    }

    /// <summary>Latent size D.</summary>
    public int Dimension { get; }

    /// <summary>The standard normal N(0, I) of the given size (a VAE's prior).</summary>
    /// <param name="dimension">Latent size D.</param>
    /// <returns>The distribution.</returns>
    public static LatentGaussian Standard(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        var mean = new float[dimension];
        var identity = new IReadOnlyList<float>[dimension];
        for (var i = 0; i < dimension; i++)
        {
            var row = new float[dimension];
            row[i] = 1f;
            identity[i] = row;
        }

        return new LatentGaussian(mean, identity);
    }

    /// <summary>The mean, as a new array.</summary>
    /// <returns>D floats.</returns>
    public float[] GetMean() => _mean.Select(v => (float)v).ToArray();

    /// <summary>Writes one sample <c>mean + L·z</c>, z drawn from <paramref name="random"/>.</summary>
    /// <param name="random">Source of N(0, 1) values; D are consumed.</param>
    /// <param name="destination">D floats to overwrite.</param>
    public void Sample(GaussianRandom random, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(random);
        var d = Dimension;
        if (destination.Length != d)
        {
            throw new ArgumentException($"Expected {d} floats, got {destination.Length}.", nameof(destination));
        }

        var z = d <= 256 ? stackalloc double[d] : new double[d];
        for (var i = 0; i < d; i++)
        {
            z[i] = random.NextGaussian();
        }

        for (var i = 0; i < d; i++)
        {
            var sum = _mean[i];
            for (var j = 0; j <= i; j++)
            {
                sum += _cholesky[(i * d) + j] * z[j];
            }

            destination[i] = (float)sum;
        }
    }

    /// <summary>Draws <paramref name="count"/> samples with a fixed seed: same seed, same samples.</summary>
    /// <param name="count">Number of samples.</param>
    /// <param name="seed">Seed of the <see cref="GaussianRandom"/> used.</param>
    /// <returns>Count arrays of D floats.</returns>
    public float[][] Sample(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new GaussianRandom(seed);
        var samples = new float[count][];
        for (var i = 0; i < count; i++)
        {
            samples[i] = new float[Dimension];
            Sample(random, samples[i]);
        }

        return samples;
    }

    /// <summary>
    /// Mahalanobis distance <c>sqrt((x − mean)ᵀ Σ⁻¹ (x − mean))</c>, computed as ‖L⁻¹(x − mean)‖
    /// by forward substitution. Large values mark latents unlike the training set.
    /// </summary>
    /// <param name="latent">D floats.</param>
    /// <returns>The distance, 0 or more.</returns>
    public double Mahalanobis(ReadOnlySpan<float> latent)
    {
        var y = Dimension <= 256 ? stackalloc double[Dimension] : new double[Dimension];
        Whiten(latent, y);
        var squared = 0.0;
        foreach (var v in y)
        {
            squared += v * v;
        }

        return Math.Sqrt(squared);
    }

    /// <summary>
    /// The whitened latent <c>L⁻¹(x − mean)</c> by forward substitution: Euclidean distances between whitened
    /// latents are Mahalanobis distances under this Gaussian's covariance.
    /// </summary>
    /// <param name="latent">D floats.</param>
    /// <param name="destination">D doubles, overwritten.</param>
    public void Whiten(ReadOnlySpan<float> latent, Span<double> destination)
    {
        var d = Dimension;
        if (latent.Length != d)
        {
            throw new ArgumentException($"Expected {d} floats, got {latent.Length}.", nameof(latent));
        }

        if (destination.Length != d)
        {
            throw new ArgumentException($"Expected room for {d} values, got {destination.Length}.", nameof(destination));
        }

        for (var i = 0; i < d; i++)
        {
            var sum = latent[i] - _mean[i];
            for (var j = 0; j < i; j++)
            {
                sum -= _cholesky[(i * d) + j] * destination[j];
            }

            destination[i] = sum / _cholesky[(i * d) + i];
        }
    }
}
