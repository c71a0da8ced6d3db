using System.Text.Json.Serialization;

namespace AeOnnx.Models;

/// <summary>The manifest's <c>encoder</c> object.</summary>
public sealed record EncoderSpec
{
    /// <summary>Plain file name of the graph inside the model folder.</summary>
    public string? File { get; init; }

    /// <summary>Lowercase hex SHA-256 of the file; null skips the check (bare graph pair).</summary>
    [JsonPropertyName("sha256")]
    public string? Sha256 { get; init; }

    /// <summary>Input tensor name: float32 [N, C, H, W].</summary>
    public string? Input { get; init; }

    /// <summary>Output tensor names: AE <c>["latent"]</c>, VAE <c>["mean", "logvar"]</c>, each float32 [N, D].</summary>
    public IReadOnlyList<string>? Outputs { get; init; }

    /// <summary>ONNX opset the graph was exported with.</summary>
    public int Opset { get; init; }
}
