using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Jobs;

/// <summary>Encodes a short list of named images one by one, skipping (and reporting) the ones that cannot be read.</summary>
internal static class KeyImages
{
    public static List<(InputItem Item, float[] Latent)> Encode(Autoencoder model, IReadOnlyList<InputItem> items, CliConsole console, List<IndexEntry> skipped)
    {
        var encoded = new List<(InputItem, float[])>();
        foreach (var item in items)
        {
            try
            {
                var latent = model.Encode(item.FullPath);
                if (FailureReason.NonFinite("latent", latent) is { } reason)
                {
                    skipped.Add(new IndexEntry(null, item.DisplayPath, IndexEntry.Skipped, reason));
                    console.Error.WriteLine($"skipped {item.DisplayPath}: {reason}");
                    continue;
                }

                encoded.Add((item, latent));
            }
            catch (AeOnnx.Imaging.ImageLoadException e)
            {
                var reason = FailureReason.Of(e);
                skipped.Add(new IndexEntry(null, item.DisplayPath, IndexEntry.Skipped, reason));
                console.Error.WriteLine($"skipped {item.DisplayPath}: {reason}");
            }
        }

        return encoded;
    }
}
