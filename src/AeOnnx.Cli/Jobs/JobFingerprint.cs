using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AeOnnx.Cli.Inputs;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// Names a job for <c>--resume</c> and <c>merge</c>: a SHA-256 over the verb, the model's graph checksums,
/// its preprocessing (the manifest's <c>input</c> block), the options that change the output (added by the
/// verb), and every input (path, size, modification time).
/// </summary>
internal sealed class JobFingerprint
{
    // Hashed as it goes: a job over 60k files would otherwise hold every input line in memory
    // three times (builder, string, UTF-8 bytes) just to hash it once.
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public JobFingerprint(string verb, Autoencoder model)
    {
        Add("verb", verb);
        Add("model.encoder", model.Manifest.Encoder.Sha256);
        Add("model.decoder", model.Manifest.Decoder.Sha256);
        Add("model.dim", model.LatentDim.ToString(CultureInfo.InvariantCulture));

        // The preprocessing is part of what a latent means: a copy of the model with another input.std
        // (or resize, color, size) must not resume or merge into this job's outputs.
        Add("model.input", System.Text.Json.JsonSerializer.Serialize(model.Manifest.Image));
    }

    public JobFingerprint Add(string key, string value)
    {
        _hash.AppendData(Encoding.UTF8.GetBytes(string.Concat(key, "=", value, "\n")));
        return this;
    }

    public JobFingerprint AddInputs(IEnumerable<InputItem> items)
    {
        foreach (var item in items)
        {
            var info = new FileInfo(item.FullPath);
            var stamp = info.Exists
                ? string.Create(CultureInfo.InvariantCulture, $"{info.Length}:{info.LastWriteTimeUtc.Ticks}")
                : "missing";
            Add("input", $"{item.DisplayPath}\t{item.FullPath}\t{stamp}");
        }

        return this;
    }

    public override string ToString() => Convert.ToHexStringLower(_hash.GetCurrentHash());
}
