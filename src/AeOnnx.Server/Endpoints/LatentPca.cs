namespace AeOnnx.Server.Endpoints;

/// <summary>
/// A 2-D principal-component projection of a set of latents (the explorer's map): the mean and the
/// two leading eigenvectors of their covariance, found by power iteration with deflation (D is small).
/// </summary>
internal sealed class LatentPca
{
    private LatentPca(float[] mean, float[][] components)
    {
        Mean = mean;
        Components = components;
    }

    public float[] Mean { get; }

    /// <summary>Two unit vectors of D floats (the second is zero when the points span one dimension only).</summary>
    public float[][] Components { get; }

    public static LatentPca Fit(IReadOnlyList<float[]> points)
    {
        var d = points[0].Length;
        var mean = new double[d];
        foreach (var p in points)
        {
            for (var i = 0; i < d; i++)
            {
                mean[i] += p[i] / points.Count;
            }
        }

        var covariance = new double[d, d];
        foreach (var p in points)
        {
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    covariance[i, j] += (p[i] - mean[i]) * (p[j] - mean[j]);
                }
            }
        }

        var components = new float[2][];
        for (var k = 0; k < 2; k++)
        {
            var v = Leading(covariance, d, seedIndex: k);
            var lambda = Rayleigh(covariance, v, d);
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    covariance[i, j] -= lambda * v[i] * v[j];
                }
            }

            // A fixed sign (largest entry positive) keeps the map from flipping between identical requests.
            var largest = v.Select(Math.Abs).Max();
            var sign = v.First(x => Math.Abs(x) == largest) < 0 ? -1 : 1;
            components[k] = v.Select(x => (float)(sign * x)).ToArray();
        }

        return new LatentPca(mean.Select(x => (float)x).ToArray(), components);
    }

    public (double X, double Y) Project(ReadOnlySpan<float> latent)
    {
        double x = 0, y = 0;
        for (var i = 0; i < latent.Length; i++)
        {
            var c = latent[i] - Mean[i];
            x += c * Components[0][i];
            y += c * Components[1][i];
        }

        return (x, y);
    }

    private static double[] Leading(double[,] matrix, int d, int seedIndex)
    {
        var v = new double[d];
        for (var i = 0; i < d; i++)
        {
            v[i] = 1.0 + (0.01 * ((i + seedIndex) % 7));
        }

        for (var iteration = 0; iteration < 500; iteration++)
        {
            var next = new double[d];
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    next[i] += matrix[i, j] * v[j];
                }
            }

            var norm = Math.Sqrt(next.Sum(x => x * x));
            if (norm < 1e-12)
            {
                return new double[d];
            }

            var change = 0.0;
            for (var i = 0; i < d; i++)
            {
                next[i] /= norm;
                change = Math.Max(change, Math.Abs(next[i] - v[i]));
            }

            v = next;
            if (change < 1e-10)
            {
                break;
            }
        }

        return v;
    }

    private static double Rayleigh(double[,] matrix, double[] v, int d)
    {
        var sum = 0.0;
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                sum += v[i] * matrix[i, j] * v[j];
            }
        }

        return sum;
    }
}
