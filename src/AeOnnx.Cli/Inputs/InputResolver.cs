namespace AeOnnx.Cli.Inputs;

/// <summary>
/// Turns INPUT arguments (files, folders searched recursively, quoted globs, <c>@list.txt</c>) and
/// <c>--list</c> files into one deterministic list: arguments in the order given, each folder or glob
/// expanded in ordinal order of its relative paths, duplicates (same full path) kept once.
/// Files that are named explicitly are always kept, whatever their extension, so that a missing or
/// unreadable one is reported in the index instead of silently dropped.
/// </summary>
internal static class InputResolver
{
    /// <summary>The file names a folder or glob yields when no --pattern is given.</summary>
    public static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    public static IReadOnlyList<InputItem> Resolve(
        IEnumerable<string> arguments,
        IEnumerable<string> listFiles,
        string? pattern,
        string currentDirectory)
    {
        GlobPattern? filter = string.IsNullOrEmpty(pattern) ? null : new GlobPattern(pattern);
        var specs = new List<string>();
        foreach (string argument in arguments)
        {
            if (argument.StartsWith('@') && argument.Length > 1)
            {
                specs.AddRange(ReadList(argument[1..], currentDirectory));
            }
            else
            {
                specs.Add(argument);
            }
        }

        foreach (string list in listFiles)
        {
            specs.AddRange(ReadList(list, currentDirectory));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var items = new List<InputItem>();
        foreach (string spec in specs)
        {
            foreach ((string display, string full) in Expand(spec, filter, currentDirectory))
            {
                if (seen.Add(full))
                {
                    items.Add(new InputItem(items.Count, display, full));
                }
            }
        }

        return items;
    }

    private static IEnumerable<string> ReadList(string listPath, string currentDirectory)
    {
        string full = Path.GetFullPath(listPath, currentDirectory);
        if (!File.Exists(full))
        {
            throw CliException.Usage($"list file '{listPath}' does not exist.");
        }

        // One path per line, relative to the current directory (as find/ls write them); '#' comments.
        foreach (string raw in File.ReadLines(full))
        {
            string line = raw.Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                yield return line;
            }
        }
    }

    private static IEnumerable<(string Display, string Full)> Expand(string spec, GlobPattern? filter, string cwd)
    {
        string full = Path.GetFullPath(spec, cwd);
        if (Directory.Exists(full))
        {
            return FromFolder(spec, full, filter, glob: null);
        }

        if (!File.Exists(full) && GlobPattern.HasWildcards(spec))
        {
            string normalized = spec.Replace('\\', '/');
            string[] segments = normalized.Split('/');
            int firstWild = Array.FindIndex(segments, GlobPattern.HasWildcards);
            string baseDisplay = string.Join('/', segments[..firstWild]);
            string rest = string.Join('/', segments[firstWild..]);
            string baseFull = baseDisplay.Length == 0
                ? (normalized.StartsWith('/') ? "/" : cwd)
                : Path.GetFullPath(baseDisplay, cwd);
            if (!Directory.Exists(baseFull))
            {
                return [];
            }

            return FromFolder(baseDisplay, baseFull, filter, new GlobPattern(rest));
        }

        // A named file: kept even if missing, so that the index says why it was skipped.
        return [(Normalize(spec), full)];
    }

    private static IEnumerable<(string, string)> FromFolder(string displayRoot, string fullRoot, GlobPattern? filter, GlobPattern? glob)
    {
        var found = new List<string>();
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
            MatchType = MatchType.Simple,
            ReturnSpecialDirectories = false,
        };
        foreach (string file in Directory.EnumerateFiles(fullRoot, "*", options))
        {
            string relative = Path.GetRelativePath(fullRoot, file).Replace('\\', '/');
            if (relative.Split('/').Any(segment => segment.StartsWith('.')))
            {
                continue;
            }

            if (glob is not null && !glob.IsMatch(relative))
            {
                continue;
            }

            bool keep = filter is not null
                ? filter.IsMatch(relative)
                : ImageExtensions.Contains(Path.GetExtension(relative).ToLowerInvariant());
            if (keep)
            {
                found.Add(relative);
            }
        }

        found.Sort(StringComparer.Ordinal);
        string prefix = Normalize(displayRoot).TrimEnd('/');
        foreach (string relative in found)
        {
            string display = prefix.Length == 0 || prefix == "." ? relative : prefix + "/" + relative;
            yield return (display, Path.Combine(fullRoot, relative.Replace('/', Path.DirectorySeparatorChar)));
        }
    }

    private static string Normalize(string path) => path.Replace('\\', '/');
}
