using System.Text.Json;
using System.Text.Json.Serialization;
using AeOnnx.Anomaly;

namespace AeOnnx.Models;

/// <summary>
/// A model folder's manifest (format <c>aeonnx.model/1</c>, docs/MODEL-FORMAT.md, schema in
/// docs/manifest.schema.json), validated on read: every required value present and in range, enums
/// for kind, color and resizing, the graphs named by plain file names. Immutable. A bare
/// encoder/decoder pair gets one too, rebuilt from the graphs' <c>metadata_props</c>
/// (<see cref="Source"/>), without the optional parts (statistics, training, metrics).
/// </summary>
public sealed record ModelManifest
{
    /// <summary>The manifest format this library reads and Python's export writes.</summary>
    public const string CurrentFormat = "aeonnx.model/1";

    /// <summary>The manifest's file name inside a model folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Model name, e.g. <c>fashion-mnist-ae</c> (a bare pair: <c>aeonnx.name</c>, or the folder's name).</summary>
    public required string Name { get; init; }

    /// <summary>Plain or variational autoencoder (<c>kind</c>: <c>ae</c> | <c>vae</c>).</summary>
    public required ModelKind Kind { get; init; }

    /// <summary>True for <see cref="ModelKind.VariationalAutoencoder"/>.</summary>
    [JsonIgnore]
    public bool IsVariational => Kind == ModelKind.VariationalAutoencoder;

    /// <summary>The encoder's input image and its preprocessing (the manifest's <c>input</c>).</summary>
    public required ImageSpec Image { get; init; }

    /// <summary>Final activation of the decoder (<c>output.activation</c>, e.g. <c>sigmoid</c>); empty when the manifest does not say.</summary>
    public string OutputActivation { get; init; } = string.Empty;

    /// <summary>Latent size and training-set statistics.</summary>
    public required LatentSpace Latent { get; init; }

    /// <summary>The encoder graph.</summary>
    public required GraphInfo Encoder { get; init; }

    /// <summary>The decoder graph.</summary>
    public required GraphInfo Decoder { get; init; }

    /// <summary>Test-set metrics recorded at export time; null when absent (always for a bare pair).</summary>
    public ModelMetrics? Metrics { get; init; }

    /// <summary>Training provenance as raw JSON (its content is the trainer's business); null when absent.</summary>
    public JsonElement? Training { get; init; }

    /// <summary>
    /// Anomaly scores calibrated on held-out normal images (the optional <c>anomaly</c> block, format
    /// <c>aeonnx.anomaly/1</c>); null when the manifest has none or one of another format.
    /// </summary>
    public AnomalyCalibration? Anomaly { get; init; }

    /// <summary>Where the facts came from: manifest.json, or a bare pair's <c>metadata_props</c>.</summary>
    public ManifestSource Source { get; init; } = ManifestSource.ManifestFile;

    /// <summary>
    /// One string naming exactly these two graphs: <c>encoder-sha256+decoder-sha256</c>. Two models
    /// share it only when both graph files are byte-identical.
    /// </summary>
    [JsonIgnore]
    public string GraphIdentity => Encoder.Sha256 + "+" + Decoder.Sha256;

    /// <summary>
    /// Reads and validates a manifest.json (the graphs' SHA-256 are checked against the files when the
    /// model is loaded, not here).
    /// </summary>
    /// <param name="path">The manifest file.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ModelLoadException">The file is missing, not JSON, or a field is missing or out of range (the message names it).</exception>
    public static ModelManifest Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return ManifestReader.Validate(ManifestReader.Parse(ManifestReader.ReadFile(path), path), path);
    }

    /// <summary>Parses and validates manifest JSON.</summary>
    /// <param name="json">UTF-8 manifest JSON (a byte order mark is skipped).</param>
    /// <param name="file">The name messages give the manifest.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ModelLoadException">A field is missing or out of range (the message names it).</exception>
    public static ModelManifest Parse(ReadOnlySpan<byte> json, string file = FileName)
    {
        ArgumentNullException.ThrowIfNull(file);
        return ManifestReader.Validate(ManifestReader.Parse(json, file), file);
    }
}
