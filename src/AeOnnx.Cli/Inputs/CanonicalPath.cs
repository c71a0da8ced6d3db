namespace AeOnnx.Cli.Inputs;

/// <summary>
/// The canonical full path of a file or folder, with every symbolic link on the way resolved (like
/// <c>realpath</c>, also for paths whose last parts do not exist yet), so that two names of one file
/// compare equal. Used to keep a job's outputs off its inputs and off each other.
/// </summary>
internal static class CanonicalPath
{
    private const int MaxLinkHops = 40; // what Linux allows before ELOOP

    /// <summary>How file systems here compare names: case-insensitively on Windows and macOS, ordinally elsewhere.</summary>
    public static StringComparison Comparison { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public static StringComparer Comparer { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    public static string Of(string path, string? currentDirectory = null)
    {
        var full = Path.GetFullPath(path, currentDirectory ?? Environment.CurrentDirectory);
        var hops = 0;
        return Resolve(full, ref hops);
    }

    /// <summary>True when <paramref name="inner"/> is <paramref name="outer"/> or lies below it (both canonical).</summary>
    public static bool IsSameOrUnder(string inner, string outer)
    {
        if (string.Equals(inner, outer, Comparison))
        {
            return true;
        }

        var prefix = Path.EndsInDirectorySeparator(outer) ? outer : outer + Path.DirectorySeparatorChar;
        return inner.StartsWith(prefix, Comparison);
    }

    /// <summary>The target a symbolic link names, or null (not a link, missing, unreadable: taken as written).</summary>
    public static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static string Resolve(string full, ref int hops)
    {
        var root = Path.GetPathRoot(full) ?? string.Empty;
        var current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            var target = LinkTarget(next);

            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                // A link cycle: no canonical name exists, the written one is as good as any.
                return Path.Combine([current, .. parts[i..]]);
            }

            var resolved = Resolve(Path.GetFullPath(target, current), ref hops);
            current = resolved;
        }

        return current;
    }
}
