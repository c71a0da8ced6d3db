namespace AeOnnx.ML;

/// <summary>
/// How <see cref="AeOnnxCatalog.LoadWithAeOnnx(Microsoft.ML.MLContext, string, out Microsoft.ML.DataViewSchema, AeOnnxLoadOptions?)"/>
/// and <see cref="AeOnnxCatalog.RegisterAeOnnx(Microsoft.ML.Runtime.ComponentCatalog, string, AeOnnxLoadOptions?)"/>
/// find and check the models of a saved pipeline. A saved AeOnnx mapping records its model's name,
/// the SHA-256 of both graphs, shapes, preprocessing, policy and options, and where the model is:
/// embedded in the zip, or its folder relative to the zip's folder. Nothing absolute.
/// </summary>
public sealed class AeOnnxLoadOptions
{
    /// <summary>
    /// Model folders by saved model name (the manifest's <c>name</c> at save time). Wins over the
    /// embedded copy and the recorded relative folder. A key that names no model of the saved pipeline
    /// is an error (a typo would otherwise be ignored). Mapping a name explicitly lets the
    /// <see cref="AutoencoderModelPolicy.Compatible"/> policy take a model of another name.
    /// Registrations are process-wide per saved mapping: loading the same saved mapping again with
    /// other options replaces the earlier ones. Only register models from trusted sources.
    /// </summary>
    public IDictionary<string, string> ModelDirectories { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The device to run on after loading; null (default) keeps the device recorded at save time.</summary>
    public Device? Device { get; set; }

    /// <summary>The policy to check the found models with; null (default) keeps the saved policy.</summary>
    public AutoencoderModelPolicy? ModelPolicy { get; set; }

    /// <summary>The core's load options (threads, limits, optimization, log) for the loaded mappings; null: defaults, with the saved intra-op thread count.</summary>
    public AutoencoderOptions? ModelOptions { get; set; }

    /// <summary>
    /// Says that the stages after an Encode of the saved pipeline (a trainer, a normalizer) do not depend
    /// on the encoder's latent basis. Default false: a model found with another encoder than the one those
    /// stages were fitted on (a retrained folder accepted by <see cref="AutoencoderModelPolicy.Compatible"/>
    /// or <see cref="AutoencoderModelPolicy.Follow"/>) is refused with an <see cref="AutoencoderModelMismatchException"/>;
    /// true takes it and logs a warning. Refitting the stages and saving the pipeline again is the usual fix.
    /// </summary>
    public bool AllowLatentBasisChange { get; set; }

    /// <summary>Where embedded models are unpacked (content-addressed by SHA-256, reused); null (default): a folder under the system temp folder.</summary>
    public string? EmbeddedModelCacheDirectory { get; set; }
}
