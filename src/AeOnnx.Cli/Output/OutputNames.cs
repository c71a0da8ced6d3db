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
        for (int i = 0; i < items.Count; i++)
        {
            string stem = Path.GetFileNameWithoutExtension(items[i].DisplayPath);
            if (stem.Length == 0 || stem.StartsWith('.'))
            {
                stem = "image" + stem;
            }

            string name = stem + ".png";
            for (int n = 2; !taken.Add(name); n++)
            {
                name = $"{stem}-{n}.png";
            }

            names[i] = name;
        }

        return names;
    }
}
