namespace AeOnnx.Models;

/// <summary>The manifest's <c>encoder</c> or <c>decoder</c>: a graph's file, its identity and its tensor names.</summary>
public sealed record GraphInfo
{
    /// <summary>Plain file name of the graph inside the model folder.</summary>
    public required string File { get; init; }

    /// <summary>
    /// Lowercase hex SHA-256 of the graph bytes. For a loaded model it is always the bytes that were
    /// loaded: the manifest's value, checked, or computed for a bare graph pair, so a model's identity
    /// (caches, job fingerprints) never depends on whether a manifest was there.
    /// </summary>
    public required string Sha256 { get; init; }

    /// <summary>Input tensor name.</summary>
    public required string Input { get; init; }

    /// <summary>Output tensor names: encoder of an AE <c>[latent]</c>, of a VAE <c>[mean, logvar]</c>; decoder one name.</summary>
    public required IReadOnlyList<string> Outputs { get; init; }

    /// <summary>ONNX opset the graph was exported with (0 when the manifest does not say).</summary>
    public int Opset { get; init; }
}
