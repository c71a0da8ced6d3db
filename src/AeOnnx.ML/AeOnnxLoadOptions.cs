namespace AeOnnx.ML;

/// <summary>
/// How <see cref="AeOnnxCatalog.RegisterAeOnnx(Microsoft.ML.Runtime.ComponentCatalog, string, AeOnnxLoadOptions?)"/> finds the
/// models of a saved pipeline. A saved AeOnnx mapping records its model's folder (absolute, at save
/// time), name and the SHA-256 of both graphs; the graphs themselves are not copied into the zip.
/// </summary>
public sealed class AeOnnxLoadOptions
{
    /// <summary>
    /// Model folders by model name (the manifest's <c>name</c>), for when the folder has moved since
    /// saving. Empty by default: the recorded folder is used. Registrations are process-wide per saved
    /// mapping: registering the same saved mapping again with other options replaces the earlier ones. Either way the graphs' SHA-256 must match
    /// the saved ones, or loading fails. Only register models from trusted sources.
    /// </summary>
    public IDictionary<string, string> ModelDirectories { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The device to run on after loading; null (default) keeps the device recorded at save time.</summary>
    public Device? Device { get; set; }
}
