namespace AeOnnx.Models;

/// <summary>The manifest's <c>kind</c>: which family of autoencoder the graphs are.</summary>
public enum ModelKind
{
    /// <summary><c>ae</c>: a plain autoencoder; the encoder outputs the latent.</summary>
    Autoencoder,

    /// <summary><c>vae</c>: a variational autoencoder; the encoder outputs the mean and the log-variance.</summary>
    VariationalAutoencoder,
}
