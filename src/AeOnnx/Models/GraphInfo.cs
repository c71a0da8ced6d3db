namespace AeOnnx.Models;

/// <summary>One validated graph of a model (encoder or decoder): its file, its verified identity and its tensor names.</summary>
public sealed class GraphInfo
{
    internal GraphInfo(string file, string sha256, string input, IReadOnlyList<string> outputs, int opset)
    {
        File = file;
        Sha256 = sha256;
        Input = input;
        Outputs = outputs;
        Opset = opset;
    }

    /// <summary>Plain file name of the graph inside the model folder.</summary>
    public string File { get; }

    /// <summary>
    /// Lowercase hex SHA-256 of the graph bytes that were loaded. Always present: for a model with a
    /// manifest it equals the manifest's checked value; for a bare graph pair it is computed, so a
    /// model's identity (caches, job fingerprints) never depends on whether a manifest was there.
    /// </summary>
    public string Sha256 { get; }

    /// <summary>Input tensor name.</summary>
    public string Input { get; }

    /// <summary>Output tensor names: encoder of an AE <c>[latent]</c>, of a VAE <c>[mean, logvar]</c>; decoder one name.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>ONNX opset the graph was exported with (0 when the manifest does not say).</summary>
    public int Opset { get; }

    internal GraphInfo WithSha256(string sha256) => new(File, sha256, Input, Outputs, Opset);
}
