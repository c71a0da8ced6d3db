namespace AeOnnx.Latents;

/// <summary>Which latent distribution new images are sampled from.</summary>
public enum LatentSource
{
    /// <summary>
    /// The best available: <see cref="Fitted"/> when the manifest carries latent statistics, else a
    /// VAE's <see cref="Prior"/>.
    /// </summary>
    Auto = 0,

    /// <summary>
    /// The Gaussian fitted to the training set's latents (manifest <c>latent.mean</c> and
    /// <c>latent.cholesky</c>). For a VAE this is the aggregate posterior's Gaussian fit
    /// ("ex-post density estimation"): where training has not pulled the encoder's latents onto
    /// N(0, I), its samples land where the decoder has seen data, so they look like the training set.
    /// </summary>
    Fitted = 1,

    /// <summary>A VAE's prior N(0, I); an autoencoder has none.</summary>
    Prior = 2,
}
