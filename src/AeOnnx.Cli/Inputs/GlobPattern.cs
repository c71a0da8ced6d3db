using Microsoft.Extensions.FileSystemGlobbing;

namespace AeOnnx.Cli.Inputs;

/// <summary>
/// A file glob matched by <c>Microsoft.Extensions.FileSystemGlobbing</c>: <c>*</c> within one path segment,
/// <c>**</c> across segments. Its matcher walks segments without backtracking, so a pattern of many stars
/// against a long name costs linear time (a regex translation backtracked for minutes). Character sets
/// and <c>?</c> are not glob syntax there; a pattern using them is refused rather than matched literally.
/// Matching is ordinal (case-sensitive) on '/' separated relative paths.
/// </summary>
internal sealed class GlobPattern
{
    private readonly Matcher _matcher = new(StringComparison.Ordinal);

    /// <exception cref="CliException">A usage error: the pattern uses syntax the matcher does not have.</exception>
    /// <param name="pattern">The glob.</param>
    /// <param name="nameAnywhere">A pattern without '/' matches file names at any depth (--pattern); false for a quoted INPUT glob, which is anchored like a shell glob.</param>
    public GlobPattern(string pattern, bool nameAnywhere = true)
    {
        Pattern = pattern;
        var unsupported = pattern.IndexOfAny(['?', '[', ']', '{', '}']);
        if (pattern.Length == 0 || unsupported >= 0)
        {
            throw CliException.Usage(pattern.Length == 0
                ? "empty glob pattern."
                : $"glob pattern '{pattern}': '{pattern[unsupported]}' is not supported (use * within a name and ** across folders).");
        }

        if (pattern.StartsWith('/') || pattern.Split('/').Any(s => s == ".."))
        {
            throw CliException.Usage($"glob pattern '{pattern}': a --pattern is relative to the folder it filters (no leading '/' or '..').");
        }

        MatchesFileNameOnly = nameAnywhere && !pattern.Contains('/');

        // A pattern without '/' matches the file name at any depth, as `find -name` does.
        _matcher.AddInclude(MatchesFileNameOnly ? "**/" + pattern : pattern);
    }

    public string Pattern { get; }

    /// <summary>A pattern without '/' is matched against the file name, as <c>find -name</c> does.</summary>
    public bool MatchesFileNameOnly { get; }

    /// <summary>True when the text would be taken as a glob (it has a wildcard or glob syntax).</summary>
    public static bool HasWildcards(string text) => text.IndexOfAny(['*', '?', '[']) >= 0;

    /// <summary>The relative paths ('/' separated) that match, in their given order.</summary>
    public IEnumerable<string> Filter(IReadOnlyList<string> relativePaths)
    {
        // The in-memory overload matches the listing we made ourselves; the matcher never walks the disk.
        const string root = "/aeonnx-glob-root";
        var matched = new HashSet<string>(
            _matcher.Match(root, relativePaths.Select(p => root + "/" + p)).Files.Select(f => f.Path),
            StringComparer.Ordinal);
        return relativePaths.Where(matched.Contains);
    }

    /// <summary>True when <paramref name="relativePath"/> ('/' separated) matches.</summary>
    public bool IsMatch(string relativePath) => Filter([relativePath]).Any();
}
