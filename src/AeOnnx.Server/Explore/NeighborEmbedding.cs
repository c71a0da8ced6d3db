using System.Numerics;

namespace AeOnnx.Server.Explore;

/// <summary>
/// A nonlinear 2-D map of latents in the manner of UMAP (McInnes, Healy and Melville, 2018), written here
/// for the explorer with bounded time and memory: exact k nearest neighbours (k = 15), a fuzzy neighbour
/// graph (each point's distances shifted by its nearest neighbour's and scaled so that its weights sum
/// to log2 k, then symmetrised as a + b − ab), and stochastic gradient descent on the cross-entropy
/// between that graph and the 2-D layout's similarities 1 / (1 + a d^2b) (min_dist 0.1: a = 1.577,
/// b = 0.895), with 5 negative samples per edge sample over 200 epochs (fewer for very large sets), started from the PCA layout. Deterministic for a
/// given input and seed. Memory O(N k); time O(N² D) for the neighbours plus O(epochs × N k) for the layout.
/// </summary>
internal static class NeighborEmbedding
{
    public const int Neighbors = 15;
    private const double A = 1.577;
    private const double B = 0.895;
    private const int NegativeSamples = 5;

    /// <summary>Most edge samples of the layout (attractive updates, each with its negative samples): bounds the time for large sets.</summary>
    private const long MaxEdgeSamples = 40_000_000;

    /// <summary>The k nearest neighbours of every point (exact, Euclidean), nearest first; the point itself excluded.</summary>
    public static (int[] Index, float[] Distance) NearestNeighbors(float[] points, int count, int dim, int k, CancellationToken cancellationToken)
    {
        var index = new int[count * k];
        var distance = new float[count * k];
        // One thread: this runs in the background of a serving process, and must leave the other cores to requests.
        for (var i = 0; i < count; i++)
        {
            if ((i & 255) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var query = points.AsSpan(i * dim, dim);
            var bestIndex = index.AsSpan(i * k, k);
            var bestDistance = distance.AsSpan(i * k, k);
            bestDistance.Fill(float.PositiveInfinity);
            bestIndex.Fill(-1);
            for (var j = 0; j < count; j++)
            {
                if (j == i)
                {
                    continue;
                }

                var d = SquaredDistance(query, points.AsSpan(j * dim, dim));
                if (d >= bestDistance[k - 1])
                {
                    continue;
                }

                // Insertion into the sorted top-k list.
                var at = k - 1;
                while (at > 0 && bestDistance[at - 1] > d)
                {
                    bestDistance[at] = bestDistance[at - 1];
                    bestIndex[at] = bestIndex[at - 1];
                    at--;
                }

                bestDistance[at] = d;
                bestIndex[at] = j;
            }

            for (var n = 0; n < k; n++)
            {
                bestDistance[n] = MathF.Sqrt(bestDistance[n]);
            }
        }

        return (index, distance);
    }

    /// <summary>The 2-D layout (x0, y0, x1, y1, …) of <paramref name="count"/> points of <paramref name="dim"/> floats.</summary>
    /// <param name="points">The latents, concatenated.</param>
    /// <param name="count">How many.</param>
    /// <param name="dim">Latent size.</param>
    /// <param name="initial">The starting layout (the PCA map), 2 × count floats; not changed.</param>
    /// <param name="seed">Seed of the negative sampling.</param>
    /// <param name="cancellationToken">Stops the work (a newer model generation, the server stopping).</param>
    public static float[] Fit(float[] points, int count, int dim, float[] initial, int seed, CancellationToken cancellationToken)
    {
        var layout = new float[count * 2];
        if (count < 3)
        {
            initial.AsSpan(0, count * 2).CopyTo(layout);
            return layout;
        }

        var k = Math.Min(Neighbors, count - 1);
        var (neighbors, distances) = NearestNeighbors(points, count, dim, k, cancellationToken);
        var (heads, tails, weights) = FuzzyGraph(neighbors, distances, count, k);
        Rescale(initial, layout, 10f);
        Optimize(layout, count, heads, tails, weights, seed, cancellationToken);
        return layout;
    }

    /// <summary>Where a new point goes on an existing layout: the inverse-distance-weighted mean of its neighbours' places (UMAP's transform start).</summary>
    public static (float X, float Y) Place(IReadOnlyList<(int Index, double Distance)> neighbors, float[] layout)
    {
        double x = 0, y = 0, total = 0;
        foreach (var (index, distance) in neighbors)
        {
            var w = 1.0 / (distance + 1e-6);
            x += w * layout[2 * index];
            y += w * layout[(2 * index) + 1];
            total += w;
        }

        return total == 0 ? (0f, 0f) : ((float)(x / total), (float)(y / total));
    }

    private static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0f;
        var i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var diff = new Vector<float>(a[i..]) - new Vector<float>(b[i..]);
                acc += diff * diff;
            }

            sum = Vector.Sum(acc);
        }

        for (; i < a.Length; i++)
        {
            var diff = a[i] - b[i];
            sum += diff * diff;
        }

        return sum;
    }

    private static (int[] Heads, int[] Tails, float[] Weights) FuzzyGraph(int[] neighbors, float[] distances, int count, int k)
    {
        var target = Math.Log2(k);
        var directed = new Dictionary<long, float>(count * k);
        for (var i = 0; i < count; i++)
        {
            var row = distances.AsSpan(i * k, k);
            var rho = 0f;
            foreach (var d in row)
            {
                if (d > 0)
                {
                    rho = d;
                    break;
                }
            }

            // Binary search for the scale whose weights sum to log2 k.
            double lo = 0, hi = double.PositiveInfinity, sigma = 1;
            for (var step = 0; step < 64; step++)
            {
                var sum = 0.0;
                foreach (var d in row)
                {
                    sum += Math.Exp(-Math.Max(0, d - rho) / sigma);
                }

                if (Math.Abs(sum - target) < 1e-5)
                {
                    break;
                }

                if (sum > target)
                {
                    hi = sigma;
                    sigma = (lo + hi) / 2;
                }
                else
                {
                    lo = sigma;
                    sigma = double.IsPositiveInfinity(hi) ? sigma * 2 : (lo + hi) / 2;
                }
            }

            sigma = Math.Max(sigma, 1e-3 * (row.ToArray().Average() + 1e-12));
            for (var n = 0; n < k; n++)
            {
                var j = neighbors[(i * k) + n];
                if (j >= 0)
                {
                    directed[((long)i * count) + j] = (float)Math.Exp(-Math.Max(0, row[n] - rho) / sigma);
                }
            }
        }

        var heads = new List<int>(directed.Count);
        var tails = new List<int>(directed.Count);
        var weights = new List<float>(directed.Count);
        foreach (var (key, w) in directed)
        {
            var i = (int)(key / count);
            var j = (int)(key % count);
            var reverse = directed.TryGetValue(((long)j * count) + i, out var wr) ? wr : 0f;
            if (reverse > 0 && j < i)
            {
                continue; // the pair is taken once, from its smaller index
            }

            var combined = w + reverse - (w * reverse);
            if (combined > 0)
            {
                heads.Add(i);
                tails.Add(j);
                weights.Add(combined);
            }
        }

        return ([.. heads], [.. tails], [.. weights]);
    }

    private static void Rescale(float[] source, float[] destination, float half)
    {
        float minX = float.MaxValue, maxX = float.MinValue, minY = float.MaxValue, maxY = float.MinValue;
        for (var i = 0; i < destination.Length; i += 2)
        {
            minX = Math.Min(minX, source[i]);
            maxX = Math.Max(maxX, source[i]);
            minY = Math.Min(minY, source[i + 1]);
            maxY = Math.Max(maxY, source[i + 1]);
        }

        var scale = 2 * half / Math.Max(1e-12f, Math.Max(maxX - minX, maxY - minY));
        for (var i = 0; i < destination.Length; i += 2)
        {
            destination[i] = ((source[i] - minX) * scale) - half;
            destination[i + 1] = ((source[i + 1] - minY) * scale) - half;
        }
    }

    private static void Optimize(float[] y, int count, int[] heads, int[] tails, float[] weights, int seed, CancellationToken cancellationToken)
    {
        var edges = heads.Length;
        var maxWeight = weights.Max();
        var expectedSamplesPerEpoch = weights.Sum(w => (double)w / maxWeight);
        var epochs = (int)Math.Clamp(MaxEdgeSamples / Math.Max(1, expectedSamplesPerEpoch), 30, 200);
        var perSample = new double[edges];
        var nextSample = new double[edges];
        var perNegative = new double[edges];
        var nextNegative = new double[edges];
        for (var e = 0; e < edges; e++)
        {
            perSample[e] = maxWeight / weights[e];
            nextSample[e] = perSample[e];
            perNegative[e] = perSample[e] / NegativeSamples;
            nextNegative[e] = perNegative[e];
        }

        var random = new Random(seed);
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var alpha = 1f - ((float)epoch / epochs);
            for (var e = 0; e < edges; e++)
            {
                if (nextSample[e] > epoch)
                {
                    continue;
                }

                var i = heads[e];
                var j = tails[e];
                var dx = y[2 * i] - y[2 * j];
                var dy = y[(2 * i) + 1] - y[(2 * j) + 1];
                var d2 = (dx * dx) + (dy * dy);
                if (d2 > 0)
                {
                    var power = MathF.Pow(d2, (float)B);
                    var coefficient = (float)(-2 * A * B * (power / d2) / (1 + (A * power)));
                    var gx = Clip(coefficient * dx) * alpha;
                    var gy = Clip(coefficient * dy) * alpha;
                    y[2 * i] += gx;
                    y[(2 * i) + 1] += gy;
                    y[2 * j] -= gx;
                    y[(2 * j) + 1] -= gy;
                }

                nextSample[e] += perSample[e];
                var negatives = (int)((epoch - nextNegative[e]) / perNegative[e]);
                for (var n = 0; n < negatives; n++)
                {
                    var other = random.Next(count);
                    if (other == i)
                    {
                        continue;
                    }

                    dx = y[2 * i] - y[2 * other];
                    dy = y[(2 * i) + 1] - y[(2 * other) + 1];
                    d2 = (dx * dx) + (dy * dy);
                    var coefficient = d2 > 0 ? (float)(2 * B / ((0.001 + d2) * (1 + (A * MathF.Pow(d2, (float)B))))) : 0f;
                    y[2 * i] += (coefficient > 0 ? Clip(coefficient * dx) : 4f) * alpha;
                    y[(2 * i) + 1] += (coefficient > 0 ? Clip(coefficient * dy) : 4f) * alpha;
                }

                nextNegative[e] += negatives * perNegative[e];
            }
        }
    }

    private static float Clip(float value) => Math.Clamp(value, -4f, 4f);
}
