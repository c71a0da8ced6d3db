namespace AeOnnx.IO;

/// <summary>
/// The rules for turning data (a manifest field, a saved pipeline's JSON, a zip entry, a pointer file)
/// into a path: a SHA-256 is 64 lowercase hex digits, a file name is a plain name, and a path built
/// from data resolves inside its root. Nothing read from a file becomes a path any other way.
/// </summary>
internal static class PathRules
{
    /// <summary>True for exactly 64 lowercase hex digits, the form manifests and saved pipelines record.</summary>
    public static bool IsSha256Hex([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? text) =>
        text is { Length: 64 } && text.All(ch => ch is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>
    /// True for a plain file name: no separator, not <c>.</c> or <c>..</c>, not rooted, no character a
    /// file name cannot hold, at most 255 UTF-8 bytes.
    /// </summary>
    public static bool IsPlainFileName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name) =>
        !string.IsNullOrEmpty(name)
        && name.IndexOfAny(['/', '\\', ':', '\0']) < 0
        && name is not ("." or "..")
        && !Path.IsPathRooted(name)
        && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0
        && Path.GetFileName(name) == name
        && System.Text.Encoding.UTF8.GetByteCount(name) <= 255;

    /// <summary>
    /// <paramref name="relative"/> resolved against <paramref name="root"/> when the result lies strictly
    /// inside <paramref name="root"/> (compared as full paths, with a separator after the root, so
    /// <c>/a/bc</c> is not inside <c>/a/b</c>); null otherwise (absolute, <c>..</c> escaping, NUL, empty).
    /// Symbolic links are not resolved: callers that must not follow them check the target themselves.
    /// </summary>
    public static string? ResolveInside(string root, string relative)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (string.IsNullOrEmpty(relative) || relative.Contains('\0', StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return null;
        }

        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(fullRoot, relative)));
        return IsInside(fullRoot, full) ? full : null;
    }

    /// <summary>True when the full path <paramref name="path"/> lies strictly inside the full path <paramref name="root"/>.</summary>
    public static bool IsInside(string root, string path)
    {
        var prefix = Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar;
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return path.Length > prefix.Length && path.StartsWith(prefix, comparison);
    }
}
