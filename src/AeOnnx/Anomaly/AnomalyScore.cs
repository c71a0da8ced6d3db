namespace AeOnnx.Anomaly;

/// <summary>
/// The anomaly scores a model folder's <c>anomaly</c> block defines (docs/MODEL-FORMAT.md, anomaly); larger
/// means more anomalous. Manifest names in brackets.
/// </summary>
public enum AnomalyScore
{
    /// <summary>Mean squared error between the image and its reconstruction in [0,1] pixel space (<c>mse</c>).</summary>
    Mse,

    /// <summary>1 − SSIM between the image and its reconstruction, Gaussian window (<c>ssim</c>).</summary>
    Ssim,

    /// <summary>Mahalanobis distance of the latent under the training latents' Gaussian (<c>mahalanobis</c>).</summary>
    Mahalanobis,

    /// <summary>
    /// Mean distance, in the whitened latent space of <see cref="Mahalanobis"/>, from the latent to its k nearest
    /// reference latents (the training images', stored beside the manifest) (<c>latent_knn</c>).
    /// </summary>
    LatentKnn,

    /// <summary>A VAE's negative ELBO at the encoder's mean, in nats (<c>neg_elbo</c>).</summary>
    NegativeElbo,

    /// <summary>The calibrated sum of standardised scores (<c>combined</c>).</summary>
    Combined,
}
