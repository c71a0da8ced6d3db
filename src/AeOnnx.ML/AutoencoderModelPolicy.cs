namespace AeOnnx.ML;

/// <summary>
/// Which model a fitted or loaded AeOnnx transformer accepts when it (re)loads its model folder:
/// after <see cref="AeOnnxModelCache.Clear"/>, in a new process, or on a hot swap
/// (<see cref="AutoencoderModelBinding"/>). The policy is checked every time a transformer gets a
/// model instance it has not seen before, before any row is computed. Whatever the policy, a model whose
/// shapes differ from the transformer's schema (image C×H×W, pixel count, latent size) is refused
/// with an <see cref="AutoencoderModelMismatchException"/>: no path serves a misaligned row.
/// </summary>
public enum AutoencoderModelPolicy
{
    /// <summary>
    /// Default. The same graphs as at fit time: encoder and decoder SHA-256 (from the manifest, which
    /// the core checks against the files) must equal the recorded ones, else the model is refused
    /// with a message naming both hash pairs.
    /// </summary>
    Pinned,

    /// <summary>
    /// A retrained model of the same kind: same manifest <c>name</c> (or a folder mapped explicitly to
    /// the saved name through <see cref="AeOnnxLoadOptions.ModelDirectories"/>), same input shape,
    /// same preprocessing (color, scale, mean, std, resampler, gray and alpha rules) and same latent
    /// size. Other graphs are accepted and the change is logged (old and new SHA-256), except another
    /// encoder (another latent basis) when stages that are not AeOnnx transforms come after the Encode:
    /// they were fitted on the old latents (see <see cref="AutoencoderModelBinding.TrySwap(string, Microsoft.ML.ITransformer)"/>
    /// and <see cref="AeOnnxLoadOptions.AllowLatentBasisChange"/>).
    /// </summary>
    Compatible,

    /// <summary>
    /// Whatever the folder holds now, as long as its shapes match the schema (checked on every load);
    /// a change of shape is an error, never a misaligned row. Changes of graphs are logged; the
    /// latent-basis rule of <see cref="Compatible"/> applies too.
    /// </summary>
    Follow,
}
