using System.Text.Json;
using System.Text.Json.Serialization;

namespace AeOnnx.Models;

/// <summary>
/// The manifest as it is on disk (docs/manifest.schema.json): nullable, loosely typed records that
/// System.Text.Json fills and <see cref="ManifestReader"/> checks field by field into the one public
/// type, <see cref="ModelManifest"/>. Nothing outside the reader sees these.
/// </summary>
internal static class ManifestJson
{
    internal sealed record Document
    {
        public string? Format { get; init; }

        public string? Name { get; init; }

        public string? Kind { get; init; }

        public Input? Input { get; init; }

        public Output? Output { get; init; }

        public Latent? Latent { get; init; }

        public Graph? Encoder { get; init; }

        public Graph? Decoder { get; init; }

        public JsonElement? Training { get; init; }

        public ModelMetrics? Metrics { get; init; }

        public JsonElement? Anomaly { get; init; }
    }

    internal sealed record Input
    {
        public int Channels { get; init; }

        public int Height { get; init; }

        public int Width { get; init; }

        public string? Color { get; init; }

        public string? Layout { get; init; }

        public float Scale { get; init; }

        public float[]? Mean { get; init; }

        public float[]? Std { get; init; }

        public string? Resize { get; init; }

        public string? Gray { get; init; }

        public string? Alpha { get; init; }

        public bool? JpegDraft { get; init; }
    }

    internal sealed record Output
    {
        public string? Activation { get; init; }
    }

    internal sealed record Latent
    {
        public int Dim { get; init; }

        public float[]? Mean { get; init; }

        public float[]? Std { get; init; }

        public float[][]? Covariance { get; init; }

        public float[][]? Cholesky { get; init; }

        public Class?[]? Classes { get; init; }
    }

    internal sealed record Class
    {
        public string? Label { get; init; }

        public int Index { get; init; }

        public int Count { get; init; }

        public float[]? Centroid { get; init; }
    }

    /// <summary>An <c>encoder</c> (with <c>outputs</c>) or <c>decoder</c> (with <c>output</c>) object.</summary>
    internal sealed record Graph
    {
        public string? File { get; init; }

        [JsonPropertyName("sha256")]
        public string? Sha256 { get; init; }

        public string? Input { get; init; }

        public string?[]? Outputs { get; init; }

        public string? Output { get; init; }

        public int Opset { get; init; }
    }
}
