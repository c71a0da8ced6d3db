using System.Text.Json;

namespace AeOnnx.Models;

/// <summary>
/// A model as the loader accepted it: the manifest (or a bare graph pair's <c>metadata_props</c>)
/// after every check, with each required value present and in range and the graphs' SHA-256 verified
/// (or computed, for a bare pair). Code that holds one needs no null checks for required fields.
/// </summary>
public sealed class ValidatedModel
{
    internal ValidatedModel(
        string name, ModelKind kind, ImageSpec image, LatentSpace latent, GraphInfo encoder, GraphInfo decoder,
        string? outputActivation, MetricsSpec? metrics, JsonElement? training, bool hasManifest)
    {
        Name = name;
        Kind = kind;
        Image = image;
        Latent = latent;
        Encoder = encoder;
        Decoder = decoder;
        OutputActivation = outputActivation;
        Metrics = metrics;
        Training = training;
        HasManifest = hasManifest;
    }

    /// <summary>Model name from the manifest (for a bare pair: <c>aeonnx.name</c>, or the folder's name).</summary>
    public string Name { get; }

    /// <summary>Plain or variational autoencoder.</summary>
    public ModelKind Kind { get; }

    /// <summary>True for <see cref="ModelKind.VariationalAutoencoder"/>.</summary>
    public bool IsVariational => Kind == ModelKind.VariationalAutoencoder;

    /// <summary>The encoder's input image and its preprocessing.</summary>
    public ImageSpec Image { get; }

    /// <summary>Latent size and training-set statistics.</summary>
    public LatentSpace Latent { get; }

    /// <summary>The encoder graph.</summary>
    public GraphInfo Encoder { get; }

    /// <summary>The decoder graph.</summary>
    public GraphInfo Decoder { get; }

    /// <summary>Final activation of the decoder (e.g. <c>sigmoid</c>), when the manifest says.</summary>
    public string? OutputActivation { get; }

    /// <summary>Test-set metrics recorded at export time; null when absent (always for a bare pair).</summary>
    public MetricsSpec? Metrics { get; }

    /// <summary>Training provenance as raw JSON; null when absent.</summary>
    public JsonElement? Training { get; }

    /// <summary>True when the model came from manifest.json; false for a bare graph pair.</summary>
    public bool HasManifest { get; }

    /// <summary>
    /// One string naming exactly these two graphs: <c>encoder-sha256+decoder-sha256</c>. Two models
    /// share it only when both graph files are byte-identical.
    /// </summary>
    public string GraphIdentity => Encoder.Sha256 + "+" + Decoder.Sha256;

    internal ValidatedModel WithGraphHashes(string encoderSha256, string decoderSha256) => new(
        Name, Kind, Image, Latent, Encoder.WithSha256(encoderSha256), Decoder.WithSha256(decoderSha256),
        OutputActivation, Metrics, Training, HasManifest);
}
