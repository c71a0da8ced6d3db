namespace AeOnnx.Latents;

/// <summary>
/// Deterministic standard-normal numbers: Box–Muller over a seeded <see cref="Random"/>, so the
/// same seed gives the same sequence on every run and platform. Not thread-safe.
/// </summary>
public sealed class GaussianRandom
{
    private readonly Random _random;
    private double _spare;
    private bool _hasSpare;

    /// <summary>Creates a generator with the given seed.</summary>
    /// <param name="seed">The seed; equal seeds give equal sequences.</param>
    public GaussianRandom(int seed)
    {
        Seed = seed;

        // A seeded System.Random keeps its legacy algorithm, which is stable across .NET versions.
        _random = new Random(seed);
    }

    /// <summary>The seed this generator started from.</summary>
    public int Seed { get; }

    /// <summary>Returns the next N(0, 1) value.</summary>
    /// <returns>A standard-normal sample.</returns>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        // 1 - NextDouble() lies in (0, 1], so the logarithm is finite.
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        var radius = Math.Sqrt(-2.0 * Math.Log(u1));
        var angle = 2.0 * Math.PI * u2;
        _spare = radius * Math.Sin(angle);
        _hasSpare = true;
        return radius * Math.Cos(angle);
    }

    /// <summary>Fills <paramref name="destination"/> with N(0, 1) values.</summary>
    /// <param name="destination">The values to overwrite.</param>
    public void Fill(Span<float> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)NextGaussian();
        }
    }
}
