using AeOnnx.Cli.Inputs;

namespace AeOnnx.Cli.Output;

/// <summary>
/// PNG names for per-input outputs: the input's file name with .png, and "-2", "-3"... for later inputs
/// whose name was taken (same name in different folders). Assigned over the whole input list, so a
/// resumed run names every file as the first run did.
/// </summary>
internal static class OutputNames
{
    public static string[] Assign(IReadOnlyList<InputItem> items)
    {
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new string[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var stem = Path.GetFileNameWithoutExtension(items[i].DisplayPath);
            if (stem.Length == 0 || stem.StartsWith('.'))
            {
                stem = "image" + stem;
            }

            var name = Fit(stem, ".png");
            for (var n = 2; !taken.Add(name); n++)
            {
                name = Fit(stem, $"-{n}.png");
            }

            names[i] = name;
        }

        return names;
    }

    // A name longer than a file system allows (255 bytes) is cut at a character boundary, so a long
    // input name still gets its output instead of failing the job.
    private static string Fit(string stem, string suffix)
    {
        const int maxBytes = 255;
        while (System.Text.Encoding.UTF8.GetByteCount(stem) + System.Text.Encoding.UTF8.GetByteCount(suffix) > maxBytes)
        {
            stem = stem[..^(char.IsLowSurrogate(stem[^1]) && stem.Length > 1 ? 2 : 1)];
        }

        return stem + suffix;
    }
}
