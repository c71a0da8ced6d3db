namespace AeOnnx.Latents;

/// <summary>
/// Latent-space arithmetic on plain float spans: interpolation (lerp, slerp, multi-key paths),
/// vector arithmetic, centroids, nearest neighbours. No ONNX Runtime involved; sums are
/// accumulated in double.
/// </summary>
public static class LatentMath
{
    // Below this sin θ the great-circle formula divides by almost zero; the vectors are then
    // (anti)parallel and the straight line is the answer.
    private const double ParallelSine = 1e-6;

    /// <summary>Linear interpolation <c>(1 − t)·a + t·b</c>.</summary>
    /// <param name="a">Start (t = 0).</param>
    /// <param name="b">End (t = 1); same length as <paramref name="a"/>.</param>
    /// <param name="t">Position; values outside [0, 1] extrapolate.</param>
    /// <returns>A new array.</returns>
    public static float[] Lerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float t)
    {
        var result = new float[a.Length];
        Lerp(a, b, t, result);
        return result;
    }

    /// <summary>Linear interpolation <c>(1 − t)·a + t·b</c> into <paramref name="destination"/>.</summary>
    /// <param name="a">Start (t = 0).</param>
    /// <param name="b">End (t = 1).</param>
    /// <param name="t">Position.</param>
    /// <param name="destination">Same length as <paramref name="a"/>.</param>
    public static void Lerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float t, Span<float> destination)
    {
        CheckSameLength(a, b, destination);
        var wa = 1.0 - t;
        for (var i = 0; i < a.Length; i++)
        {
            destination[i] = (float)((wa * a[i]) + (t * (double)b[i]));
        }
    }

    /// <summary>
    /// Spherical interpolation: the direction moves along the great circle from a's direction to
    /// b's (angle between the normalized vectors), and the norm moves linearly from ‖a‖ to ‖b‖,
    /// so unit vectors stay unit. When the vectors are (nearly) parallel or anti-parallel, or one
    /// is zero, the result is the linear interpolation <c>(1 − t)·a + t·b</c>.
    /// </summary>
    /// <param name="a">Start (t = 0).</param>
    /// <param name="b">End (t = 1); same length as <paramref name="a"/>.</param>
    /// <param name="t">Position in [0, 1].</param>
    /// <returns>A new array.</returns>
    public static float[] Slerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float t)
    {
        var result = new float[a.Length];
        Slerp(a, b, t, result);
        return result;
    }

    /// <summary>Spherical interpolation into <paramref name="destination"/>; see <see cref="Slerp(ReadOnlySpan{float}, ReadOnlySpan{float}, float)"/>.</summary>
    /// <param name="a">Start (t = 0).</param>
    /// <param name="b">End (t = 1).</param>
    /// <param name="t">Position in [0, 1].</param>
    /// <param name="destination">Same length as <paramref name="a"/>.</param>
    public static void Slerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float t, Span<float> destination)
    {
        CheckSameLength(a, b, destination);
        var normA = Norm(a);
        var normB = Norm(b);
        if (normA == 0 || normB == 0)
        {
            Lerp(a, b, t, destination);
            return;
        }

        var cos = Math.Clamp(Dot(a, b) / (normA * normB), -1.0, 1.0);
        var theta = Math.Acos(cos);
        var sin = Math.Sin(theta);
        if (sin < ParallelSine)
        {
            // (1 − t) weights a and t weights b: swapping them is a known bug elsewhere.
            Lerp(a, b, t, destination);
            return;
        }

        var wa = Math.Sin((1.0 - t) * theta) / sin / normA;
        var wb = Math.Sin(t * theta) / sin / normB;
        var norm = ((1.0 - t) * normA) + (t * normB);
        for (var i = 0; i < a.Length; i++)
        {
            destination[i] = (float)(norm * ((wa * a[i]) + (wb * b[i])));
        }
    }

    /// <summary>
    /// A path through several key latents: <paramref name="stepsPerSegment"/> points per segment
    /// (t = 0, 1/n, …, (n − 1)/n), then the last key, so (keys − 1)·n + 1 points in all and
    /// every key appears exactly once.
    /// </summary>
    /// <param name="keys">Two or more latents of equal length (one key gives just that key).</param>
    /// <param name="stepsPerSegment">Points per segment, 1 or more.</param>
    /// <param name="mode">Linear or spherical interpolation.</param>
    /// <returns>The points, in order.</returns>
    public static float[][] Path(IReadOnlyList<float[]> keys, int stepsPerSegment, InterpolationMode mode = InterpolationMode.Spherical)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsPerSegment);
        if (keys.Count == 0)
        {
            throw new ArgumentException("At least one key latent is needed.", nameof(keys));
        }

        var length = keys[0]?.Length ?? throw new ArgumentException("Key 0 is null.", nameof(keys));
        for (var k = 1; k < keys.Count; k++)
        {
            if (keys[k] is null || keys[k].Length != length)
            {
                throw new ArgumentException($"Key {k} has {keys[k]?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no"} values, key 0 has {length}.", nameof(keys));
            }
        }

        var points = new float[((keys.Count - 1) * stepsPerSegment) + 1][];
        var index = 0;
        for (var k = 0; k + 1 < keys.Count; k++)
        {
            for (var s = 0; s < stepsPerSegment; s++)
            {
                var t = (float)s / stepsPerSegment;
                points[index++] = mode == InterpolationMode.Linear
                    ? Lerp(keys[k], keys[k + 1], t)
                    : Slerp(keys[k], keys[k + 1], t);
            }
        }

        points[index] = (float[])keys[^1].Clone();
        return points;
    }

    /// <summary>Vector arithmetic <c>a − b + c</c> (“a is to b as the result is to c”).</summary>
    /// <param name="a">The latent to move.</param>
    /// <param name="b">The attribute to remove.</param>
    /// <param name="c">The attribute to add.</param>
    /// <returns>A new array.</returns>
    public static float[] Analogy(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c)
    {
        CheckSameLength(a, b, c);
        var result = new float[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = (float)((double)a[i] - b[i] + c[i]);
        }

        return result;
    }

    /// <summary>Element-wise <c>a + b</c>.</summary>
    /// <param name="a">First vector.</param>
    /// <param name="b">Second vector, same length.</param>
    /// <returns>A new array.</returns>
    public static float[] Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        CheckSameLength(a, b, a);
        var result = new float[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = a[i] + b[i];
        }

        return result;
    }

    /// <summary>Element-wise <c>a − b</c>.</summary>
    /// <param name="a">First vector.</param>
    /// <param name="b">Second vector, same length.</param>
    /// <returns>A new array.</returns>
    public static float[] Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        CheckSameLength(a, b, a);
        var result = new float[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = a[i] - b[i];
        }

        return result;
    }

    /// <summary><c>factor·a</c>.</summary>
    /// <param name="a">The vector.</param>
    /// <param name="factor">The scale factor.</param>
    /// <returns>A new array.</returns>
    public static float[] Scale(ReadOnlySpan<float> a, float factor)
    {
        var result = new float[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = a[i] * factor;
        }

        return result;
    }

    /// <summary>The mean of a non-empty set of equal-length latents.</summary>
    /// <param name="latents">The latents.</param>
    /// <returns>A new array.</returns>
    public static float[] Centroid(IEnumerable<float[]> latents)
    {
        ArgumentNullException.ThrowIfNull(latents);
        double[]? sum = null;
        var count = 0;
        foreach (var latent in latents)
        {
            ArgumentNullException.ThrowIfNull(latent, nameof(latents));
            sum ??= new double[latent.Length];
            if (latent.Length != sum.Length)
            {
                throw new ArgumentException($"Latent {count} has {latent.Length} values, the first has {sum.Length}.", nameof(latents));
            }

            for (var i = 0; i < latent.Length; i++)
            {
                sum[i] += latent[i];
            }

            count++;
        }

        if (sum is null)
        {
            throw new ArgumentException("The centroid of no latents is undefined.", nameof(latents));
        }

        return sum.Select(v => (float)(v / count)).ToArray();
    }

    /// <summary>Dot product.</summary>
    /// <param name="a">First vector.</param>
    /// <param name="b">Second vector, same length.</param>
    /// <returns>Σ aᵢbᵢ.</returns>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        CheckSameLength(a, b, a);
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }

    /// <summary>Euclidean norm.</summary>
    /// <param name="a">The vector.</param>
    /// <returns>‖a‖.</returns>
    public static double Norm(ReadOnlySpan<float> a)
    {
        var sum = 0.0;
        foreach (var v in a)
        {
            sum += (double)v * v;
        }

        return Math.Sqrt(sum);
    }

    /// <summary>Distance between two latents.</summary>
    /// <param name="a">First vector.</param>
    /// <param name="b">Second vector, same length.</param>
    /// <param name="metric">Euclidean or cosine.</param>
    /// <returns>The distance.</returns>
    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b, DistanceMetric metric = DistanceMetric.Euclidean)
    {
        CheckSameLength(a, b, a);
        if (metric == DistanceMetric.Cosine)
        {
            var normA = Norm(a);
            var normB = Norm(b);
            return normA == 0 || normB == 0 ? 1.0 : 1.0 - Math.Clamp(Dot(a, b) / (normA * normB), -1.0, 1.0);
        }

        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            sum += d * d;
        }

        return Math.Sqrt(sum);
    }

    /// <summary>The <paramref name="k"/> candidates closest to <paramref name="query"/>, nearest first (ties by index).</summary>
    /// <param name="query">The latent to search around.</param>
    /// <param name="candidates">Latents of the same length.</param>
    /// <param name="k">How many to return (fewer when there are fewer candidates).</param>
    /// <param name="metric">Euclidean or cosine.</param>
    /// <returns>Index and distance of each neighbour.</returns>
    public static IReadOnlyList<LatentNeighbor> Nearest(ReadOnlySpan<float> query, IReadOnlyList<float[]> candidates, int k, DistanceMetric metric = DistanceMetric.Euclidean)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var all = new LatentNeighbor[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            all[i] = new LatentNeighbor(i, Distance(query, candidates[i], metric));
        }

        Array.Sort(all, static (x, y) => x.Distance != y.Distance ? x.Distance.CompareTo(y.Distance) : x.Index.CompareTo(y.Index));
        return all.Take(k).ToArray();
    }

    private static void CheckSameLength(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c)
    {
        if (a.Length != b.Length || a.Length != c.Length)
        {
            throw new ArgumentException($"Latents differ in length: {a.Length}, {b.Length}, {c.Length}.");
        }
    }

    /// <summary>
    /// The index of the first NaN or infinity in <paramref name="values"/>, or -1: the one test every
    /// front end applies before a latent or an image is returned, decoded or written (never a NaN row,
    /// a black picture, or a JSON writer failing on infinity).
    /// </summary>
    /// <param name="values">A latent, a tensor or any model output.</param>
    /// <returns>The index, or -1 when every value is finite.</returns>
    internal static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
