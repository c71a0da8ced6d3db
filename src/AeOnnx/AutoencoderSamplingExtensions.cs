using AeOnnx.Latents;

namespace AeOnnx;

/// <summary>
/// New latents and images from an <see cref="Autoencoder"/>'s latent space: samples from its
/// distributions (<see cref="GetSamplingDistribution"/>), interpolation paths through key
/// latents, and outlier scores under the training-set latent Gaussian.
/// </summary>
public static class AutoencoderSamplingExtensions
{
    /// <summary>The distribution a <see cref="LatentSource"/> names for the model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="source">Which distribution.</param>
    /// <returns>The distribution.</returns>
    /// <exception cref="InvalidOperationException">The model has no such distribution (an autoencoder's prior; statistics missing from the manifest).</exception>
    public static LatentGaussian GetSamplingDistribution(this Autoencoder model, LatentSource source) => source switch
    {
        LatentSource.Auto => model.SamplingDistribution
            ?? throw new InvalidOperationException($"Model '{model.Name}' has no latent.mean/latent.cholesky in its manifest, so it cannot be sampled."),
        LatentSource.Fitted => model.LatentDistribution
            ?? throw new InvalidOperationException($"Model '{model.Name}' has no latent.mean/latent.cholesky in its manifest, so there is no fitted latent Gaussian to sample from."),
        LatentSource.Prior => model.PriorDistribution
            ?? throw new InvalidOperationException($"Model '{model.Name}' is a plain autoencoder: it has no prior to sample from (sample from the fitted latent Gaussian instead)."),
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "Unknown latent source."),
    };

    /// <summary>
    /// Draws latents from <see cref="Autoencoder.SamplingDistribution"/> (the manifest's latent Gaussian, mean + L·z,
    /// when it has one; else a VAE's prior N(0, I)). Same seed, same samples.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="count">Number of latents.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>Count latents.</returns>
    /// <exception cref="InvalidOperationException">A plain autoencoder without latent statistics in its manifest.</exception>
    public static float[][] SampleLatents(this Autoencoder model, int count, int seed) => model.SampleLatents(count, seed, LatentSource.Auto);

    /// <summary>Draws latents from the distribution <paramref name="source"/> names. Same seed, same samples.</summary>
    /// <param name="model">The model.</param>
    /// <param name="count">Number of latents.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="source">Which distribution (see <see cref="GetSamplingDistribution"/>).</param>
    /// <returns>Count latents.</returns>
    /// <exception cref="InvalidOperationException">The model has no such distribution.</exception>
    public static float[][] SampleLatents(this Autoencoder model, int count, int seed, LatentSource source)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return model.GetSamplingDistribution(source).Sample(count, seed);
    }

    /// <summary>Samples latents (see <see cref="SampleLatents(Autoencoder, int, int)"/>) and decodes them.</summary>
    /// <param name="model">The model.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>Count raw decoder outputs.</returns>
    public static float[][] Sample(this Autoencoder model, int count, int seed) => model.DecodeBatch(model.SampleLatents(count, seed));

    /// <summary>
    /// Decodes an interpolation path through key latents (<see cref="LatentMath.Path"/>):
    /// <paramref name="stepsPerSegment"/> images per segment, then the last key.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="keys">Two or more latents of <see cref="Autoencoder.LatentDim"/> floats.</param>
    /// <param name="stepsPerSegment">Images per segment, 1 or more.</param>
    /// <param name="mode">Spherical (default) or linear.</param>
    /// <returns>Raw decoder outputs along the path, in order.</returns>
    public static float[][] DecodePath(this Autoencoder model, IReadOnlyList<float[]> keys, int stepsPerSegment, InterpolationMode mode = InterpolationMode.Spherical)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(keys));
            TensorArguments.CheckExact(key.Length, model.LatentDim, nameof(keys));
        }

        return model.DecodeBatch(LatentMath.Path(keys, stepsPerSegment, mode));
    }

    /// <summary>
    /// Outlier score of a latent: its Mahalanobis distance under the training-set latent Gaussian
    /// (<see cref="Autoencoder.LatentDistribution"/>). Typical training latents score around √D.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="latent">Exactly <see cref="Autoencoder.LatentDim"/> floats.</param>
    /// <returns>The distance.</returns>
    /// <exception cref="InvalidOperationException">The manifest has no latent statistics.</exception>
    public static double OutlierScore(this Autoencoder model, ReadOnlySpan<float> latent)
    {
        TensorArguments.CheckExact(latent.Length, model.LatentDim, nameof(latent));
        var distribution = model.LatentDistribution
            ?? throw new InvalidOperationException($"Model '{model.Name}' has no latent.mean/latent.cholesky in its manifest.");
        return distribution.Mahalanobis(latent);
    }
}
