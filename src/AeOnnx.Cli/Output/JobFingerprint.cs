using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AeOnnx.Cli.Inputs;

namespace AeOnnx.Cli.Output;

/// <summary>
/// Names a job for <c>--resume</c> and <c>merge</c>: a SHA-256 over the verb, the model's graph checksums,
/// the options that change the output, and every input (path, size, modification time).
/// </summary>
internal sealed class JobFingerprint
{
    private readonly StringBuilder text = new();

    public JobFingerprint(string verb, Autoencoder model)
    {
        Add("verb", verb);
        Add("model.encoder", model.Manifest.Encoder?.Sha256 ?? string.Empty);
        Add("model.decoder", model.Manifest.Decoder?.Sha256 ?? string.Empty);
        Add("model.dim", model.LatentDim.ToString(CultureInfo.InvariantCulture));
    }

    public JobFingerprint Add(string key, string value)
    {
        text.Append(key).Append('=').Append(value).Append('\n');
        return this;
    }

    public JobFingerprint AddInputs(IEnumerable<InputItem> items)
    {
        foreach (InputItem item in items)
        {
            var info = new FileInfo(item.FullPath);
            string stamp = info.Exists
                ? string.Create(CultureInfo.InvariantCulture, $"{info.Length}:{info.LastWriteTimeUtc.Ticks}")
                : "missing";
            Add("input", $"{item.DisplayPath}\t{item.FullPath}\t{stamp}");
        }

        return this;
    }

    public override string ToString() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
}
