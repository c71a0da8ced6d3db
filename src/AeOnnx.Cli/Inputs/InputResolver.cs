using AeOnnx.Imaging;

namespace AeOnnx.Cli.Inputs;

/// <summary>
/// Turns INPUT arguments (files, folders searched recursively, quoted globs, <c>@list.txt</c>) and
/// <c>--list</c> files into one deterministic list: arguments in the order given, each folder or glob
/// expanded in ordinal order of its relative paths, duplicates (same full path) kept once. Folders in
/// <c>excludedFolders</c> (canonical paths: the job's own output folders) are left out of every listing.
/// Files that are named explicitly are always kept, whatever their extension, so that a missing or
/// unreadable one is reported in the index instead of silently dropped.
/// </summary>
internal static class InputResolver
{
    public static IReadOnlyList<InputItem> Resolve(
        IEnumerable<string> arguments,
        IEnumerable<string> listFiles,
        string? pattern,
        string currentDirectory,
        IReadOnlyCollection<string>? excludedFolders = null)
    {
        excludedFolders ??= [];
        var filter = string.IsNullOrEmpty(pattern) ? null : new GlobPattern(pattern);
        var specs = new List<string>();
        foreach (var argument in arguments)
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

        foreach (var list in listFiles)
        {
            specs.AddRange(ReadList(list, currentDirectory));
        }

        // One spec lists each file once (a folder listing, a glob, a name): only several can repeat one.
        var seen = specs.Count > 1 ? new HashSet<string>(StringComparer.Ordinal) : null;
        var items = new List<InputItem>();
        foreach (var spec in specs)
        {
            foreach (var item in Expand(spec, filter, currentDirectory, excludedFolders))
            {
                if (seen is null || seen.Add(item.FullPath))
                {
                    items.Add(item.At(items.Count));
                }
            }
        }

        return items;
    }

    private static IEnumerable<string> ReadList(string listPath, string currentDirectory)
    {
        var full = Path.GetFullPath(listPath, currentDirectory);
        if (!File.Exists(full))
        {
            throw CliException.Usage($"list file '{listPath}' does not exist.");
        }

        // One path per line, relative to the current directory (as find/ls write them); '#' comments.
        foreach (var raw in File.ReadLines(full))
        {
            var line = raw.Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                yield return line;
            }
        }
    }

    private static IEnumerable<InputItem> Expand(string spec, GlobPattern? filter, string cwd, IReadOnlyCollection<string> excludedFolders)
    {
        var full = Path.GetFullPath(spec, cwd);
        if (Directory.Exists(full))
        {
            return FromFolder(spec, full, filter, glob: null, excludedFolders);
        }

        if (!File.Exists(full) && GlobPattern.HasWildcards(spec))
        {
            var normalized = Normalize(spec);
            var segments = normalized.Split('/');
            var firstWild = Array.FindIndex(segments, GlobPattern.HasWildcards);
            var baseDisplay = string.Join('/', segments[..firstWild]);
            var rest = string.Join('/', segments[firstWild..]);
            var glob = new GlobPattern(rest, nameAnywhere: false);
            var baseFull = baseDisplay.Length == 0
                ? (normalized.StartsWith('/') ? "/" : cwd)
                : Path.GetFullPath(baseDisplay, cwd);
            if (!Directory.Exists(baseFull))
            {
                return [];
            }

            return FromFolder(baseDisplay, baseFull, filter, glob, excludedFolders);
        }

        // A named file: kept even if missing, so that the index says why it was skipped.
        return [new InputItem(0, Normalize(spec), full)];
    }

    private static IEnumerable<InputItem> FromFolder(string displayRoot, string fullRoot, GlobPattern? filter, GlobPattern? glob, IReadOnlyCollection<string> excludedFolders)
    {
        var found = ListFiles(fullRoot, excludedFolders);
        var kept = glob is null ? found : glob.Filter(found);
        kept = filter is not null
            ? filter.Filter(kept.ToList())
            : kept.Where(ImageFormats.HasImageExtension);
        var sorted = kept.ToList();
        sorted.Sort(StringComparer.Ordinal);
        var root = new InputRoot(Normalize(displayRoot).TrimEnd('/'), fullRoot);
        foreach (var relative in sorted)
        {
            yield return new InputItem(0, root, relative);
        }
    }

    /// <summary>
    /// Every file below <paramref name="root"/> ('/' separated relative paths), skipping names that start
    /// with '.', the excluded (output) folders, and links to folders: a link is never followed into a folder,
    /// so a link cycle (<c>a/up -> ..</c>) can neither repeat an image nor make the listing endless. Links to
    /// files are listed like files.
    /// </summary>
    private static List<string> ListFiles(string root, IReadOnlyCollection<string> excludedFolders)
    {
        var found = new List<string>();
        var pending = new Stack<(string Full, string Relative, string Canonical)>();
        pending.Push((root, string.Empty, CanonicalPath.Of(root)));
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        while (pending.Count > 0)
        {
            (var folder, var relative, var canonical) = pending.Pop();
            List<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var entry in entries)
            {
                if (entry.Name.StartsWith('.'))
                {
                    continue;
                }

                var childRelative = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
                if (entry is DirectoryInfo directory)
                {
                    var childCanonical = Path.Combine(canonical, entry.Name);
                    if (directory.LinkTarget is not null)
                    {
                        continue;
                    }

                    if (excludedFolders.Contains(childCanonical))
                    {
                        CheckOwnOutputFolder(directory);
                        continue;
                    }

                    pending.Push((directory.FullName, childRelative, childCanonical));
                }
                else
                {
                    found.Add(childRelative);
                }
            }
        }

        return found;
    }

    /// <summary>
    /// An output folder inside an input folder is left out of the listing only when it is new, empty, or an
    /// earlier aeonnx output (it has index.csv or a journal): otherwise its own files are inputs the job
    /// would skip and could overwrite (a reconstruction is named after its input).
    /// </summary>
    private static void CheckOwnOutputFolder(DirectoryInfo folder)
    {
        var ours = File.Exists(Path.Combine(folder.FullName, "index.csv")) || File.Exists(Path.Combine(folder.FullName, ".aeonnx-journal"));
        if (!ours && folder.EnumerateFileSystemInfos().Any(e => !e.Name.StartsWith('.')))
        {
            throw CliException.Usage($"the output folder '{folder.FullName}' lies inside an input folder and holds files of its own (it is not an earlier aeonnx output); choose a new or empty folder.");
        }
    }

    // Backslash is a separator on Windows only; elsewhere it is a character of the name and is kept as it is.
    private static string Normalize(string path) => OperatingSystem.IsWindows() ? path.Replace('\\', '/') : path;
}
