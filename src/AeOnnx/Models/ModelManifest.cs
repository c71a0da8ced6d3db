using System.Text.Json;
using System.Text.Json.Serialization;

namespace AeOnnx.Models;

/// <summary>
/// The typed content of a model folder's <c>manifest.json</c> (format <c>aeonnx.model/1</c>,
/// see docs/MODEL-FORMAT.md). For a bare encoder/decoder pair it is rebuilt from the graphs'
/// <c>metadata_props</c>, in which case the optional parts (hashes, latent statistics,
/// training, metrics) are absent.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>The only manifest format this library reads.</summary>
    public const string CurrentFormat = "aeonnx.model/1";

    /// <summary>Format identifier; must be <see cref="CurrentFormat"/>.</summary>
    public string? Format { get; init; }

    /// <summary>Model name, e.g. <c>fashion-mnist-ae</c>.</summary>
    public string? Name { get; init; }

    /// <summary>Model kind: <c>ae</c> (plain autoencoder) or <c>vae</c> (variational).</summary>
    public string? Kind { get; init; }

    /// <summary>Image input description and preprocessing rules.</summary>
    public InputSpec? Input { get; init; }

    /// <summary>Decoder output description.</summary>
    public OutputSpec? Output { get; init; }

    /// <summary>Latent space size and training-set statistics.</summary>
    public LatentSpec? Latent { get; init; }

    /// <summary>Encoder graph description.</summary>
    public EncoderSpec? Encoder { get; init; }

    /// <summary>Decoder graph description.</summary>
    public DecoderSpec? Decoder { get; init; }

    /// <summary>Training provenance, kept as raw JSON because its content is the trainer's business.</summary>
    public JsonElement? Training { get; init; }

    /// <summary>Test-set metrics recorded at export time, when present.</summary>
    public MetricsSpec? Metrics { get; init; }

    /// <summary>True for a variational autoencoder (<c>kind</c> is <c>vae</c>).</summary>
    [JsonIgnore]
    public bool IsVariational => string.Equals(Kind, "vae", StringComparison.Ordinal);
}
